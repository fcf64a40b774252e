// berth's combined output: every Instance's lines and berth's own events, one stream, each
// line prefixed with who said it.
import type { Writable } from "node:stream";
import type { OutputStream } from "./runtime/runtime.js";

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
  /** The names lines will come from (`web#1`, …), so the prefix column is as wide from the first line. */
  names?: string[];
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
    this.#width = Math.max(0, ...(opts.names ?? []).map((name) => name.length));
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
