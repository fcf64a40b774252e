// berth's combined output: every Instance's lines and berth's own events, one stream, each
// line prefixed with who said it. Also the LineSplitter that turns output chunks into lines.
import type { Writable } from "node:stream";

const MAX_LINE_BYTES = 64 * 1024;

/**
 * Turns chunks of output into complete lines. Works on bytes, so a UTF-8 character split
 * across two chunks is decoded whole. A line longer than maxLineBytes is cut (at a
 * character boundary), so a program that never writes a newline cannot exhaust memory.
 */
export class LineSplitter {
  readonly #maxLineBytes: number;
  #partial: Buffer = Buffer.alloc(0);

  constructor(maxLineBytes = MAX_LINE_BYTES) {
    this.#maxLineBytes = maxLineBytes;
  }

  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      const piece = chunk.subarray(start, end);
      let line = this.#partial.length > 0 ? Buffer.concat([this.#partial, piece]) : piece;
      // Drop the \r of a \r\n before cutting, so it cannot end up alone on a line of its own.
      if (newline !== -1) line = withoutCr(line);
      // A held line may keep one \r past the limit: it may be the start of a \r\n.
      const limit =
        newline === -1 && line[line.length - 1] === 0x0d ? this.#maxLineBytes + 1 : this.#maxLineBytes;
      while (line.length > limit) {
        const cut = characterBoundary(line, this.#maxLineBytes);
        lines.push(line.subarray(0, cut).toString("utf8"));
        line = line.subarray(cut);
      }
      if (newline === -1) {
        // Copy: a view would keep the whole (possibly large) chunk alive.
        this.#partial = Buffer.from(line);
        break;
      }
      lines.push(line.toString("utf8"));
      this.#partial = Buffer.alloc(0);
      start = newline + 1;
    }
    return lines;
  }

  /** The last line when it had no newline (the stream ended); [] if there is none. */
  flush(): string[] {
    if (this.#partial.length === 0) return [];
    const line = withoutCr(this.#partial).toString("utf8");
    this.#partial = Buffer.alloc(0);
    return [line];
  }
}

function withoutCr(bytes: Buffer): Buffer {
  return bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.subarray(0, -1) : bytes;
}

/** The largest cut <= limit that does not split a UTF-8 sequence. */
function characterBoundary(bytes: Buffer, limit: number): number {
  // Step back over at most 3 continuation bytes (10xxxxxx) to the start of the character.
  for (let i = limit; i > limit - 4 && i > 0; i--) {
    if (((bytes[i] ?? 0) & 0xc0) !== 0x80) return i;
  }
  return limit;
}

export type OutputStream = "stdout" | "stderr";

/**
 * A Writable, or anything shaped like one (process.stdout typed as NodeJS.WritableStream).
 * Without writableLength the sink cannot see back-pressure and never drops.
 */
export type LogOutput = NodeJS.WritableStream &
  Partial<Pick<Writable, "writableLength" | "writableHighWaterMark" | "destroyed">>;

export interface LogSinkOptions {
  out: LogOutput;
  /** ANSI colours, for a terminal. */
  color: boolean;
  /** Buffered bytes in `out` beyond which lines are dropped rather than queued. */
  maxBufferedBytes?: number;
}

// Colours that read on dark and light terminals. No red: a prefix in red would read as an error.
const PALETTE = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];
const RESET = "\x1b[0m";
const DIM = "\x1b[2m";

export class LogSink {
  readonly #out: LogOutput;
  readonly #color: boolean;
  readonly #maxBufferedBytes: number;
  #width = 0;
  #dropped = 0;
  #droppedSinceNotice = 0;
  #waitingForDrain = false;
  #broken = false;

  constructor(opts: LogSinkOptions) {
    this.#out = opts.out;
    this.#color = opts.color;
    // Below the stream's highWaterMark no write returns false, so no 'drain' would ever come to
    // report the drops.
    this.#maxBufferedBytes = Math.max(
      opts.maxBufferedBytes ?? 1024 * 1024,
      opts.out.writableHighWaterMark ?? 0,
    );
    // A closed terminal or pipe (EPIPE) must not crash berth while it is stopping services.
    this.#out.on("error", () => {
      this.#broken = true;
    });
  }

  /** Lines dropped so far because `out` was not keeping up. */
  get dropped(): number {
    return this.#dropped;
  }

  instanceLine(instance: string, _stream: OutputStream, line: string): void {
    this.#write(`${this.#prefix(instance)}${line}\n`);
  }

  /** berth's own words, about an instance or (instance undefined) about berth as a whole. */
  event(instance: string | undefined, message: string): void {
    const tag = this.#color ? `${DIM}[berth]${RESET}` : "[berth]";
    this.#write(`${instance === undefined ? "" : this.#prefix(instance)}${tag} ${message}\n`);
  }

  #prefix(instance: string): string {
    this.#width = Math.max(this.#width, instance.length);
    const label = `${instance.padEnd(this.#width)} |`;
    if (!this.#color) return `${label} `;
    return `\x1b[${colourFor(serviceOf(instance))}m${label}${RESET} `;
  }

  #write(text: string): void {
    if (this.#broken || this.#out.destroyed) return;
    if ((this.#out.writableLength ?? 0) > this.#maxBufferedBytes) {
      this.#dropped++;
      this.#droppedSinceNotice++;
      this.#reportDropsOnDrain();
      return;
    }
    this.#flushDropNotice();
    this.#out.write(text);
  }

  #reportDropsOnDrain(): void {
    if (this.#waitingForDrain) return;
    this.#waitingForDrain = true;
    this.#out.once("drain", () => {
      this.#waitingForDrain = false;
      this.#flushDropNotice();
    });
  }

  #flushDropNotice(): void {
    if (this.#droppedSinceNotice === 0 || this.#broken || this.#out.destroyed) return;
    const count = this.#droppedSinceNotice;
    this.#droppedSinceNotice = 0;
    this.#out.write(`[berth] ${count} ${count === 1 ? "line" : "lines"} dropped: output too slow\n`);
  }
}

function serviceOf(instance: string): string {
  const hash = instance.lastIndexOf("#");
  return hash === -1 ? instance : instance.slice(0, hash);
}

/** Same service, same colour, in every run of berth. */
function colourFor(service: string): number {
  let hash = 0;
  for (let i = 0; i < service.length; i++) hash = (hash * 31 + service.charCodeAt(i)) >>> 0;
  return PALETTE[hash % PALETTE.length] ?? 36;
}
