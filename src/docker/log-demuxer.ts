// A container's logs, when it has no TTY, come as frames: an 8-byte header (stream: 0 stdin,
// 1 stdout, 2 stderr; three zero bytes; the payload's length, big-endian uint32), then the
// payload. Frames arrive cut anywhere across chunks; this puts them back together.

import type { OutputStream } from "../supervisor/runtime/runtime.js";

export interface LogChunk {
  stream: OutputStream;
  chunk: Buffer;
}

const HEADER_BYTES = 8;

export class LogDemuxer {
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  /** The complete frames `data` finishes, in order; a frame cut short waits for the next push. */
  push(data: Buffer): LogChunk[] {
    if (data.length === 0) return [];
    this.#pending.push(data);
    this.#pendingBytes += data.length;
    const out: LogChunk[] = [];
    let buffer = this.#pending.length === 1 ? data : Buffer.concat(this.#pending, this.#pendingBytes);
    while (buffer.length >= HEADER_BYTES) {
      const kind = buffer[0]!;
      if (kind > 2 || buffer[1] !== 0 || buffer[2] !== 0 || buffer[3] !== 0)
        throw new Error(
          `reading container logs: not a multiplexed stream (a frame header starts ${buffer.subarray(0, 4).toString("hex")})`,
        );
      const size = buffer.readUInt32BE(4);
      if (buffer.length < HEADER_BYTES + size) break;
      // An empty frame carries nothing worth reporting. stdin (0) only appears with an attached
      // stdin and is reported as stdout, the one other choice being to drop it.
      if (size > 0)
        out.push({
          stream: kind === 2 ? "stderr" : "stdout",
          chunk: buffer.subarray(HEADER_BYTES, HEADER_BYTES + size),
        });
      buffer = buffer.subarray(HEADER_BYTES + size);
    }
    this.#pending = buffer.length === 0 ? [] : [buffer];
    this.#pendingBytes = buffer.length;
    return out;
  }

  /** Bytes of an unfinished frame held back; not 0 at the end of a stream means it was cut short. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }
}
