// Chunks of an instance's stdout or stderr → complete lines, as the runtime hands them to berth.

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
