// A service's own log file (web.log), shared by its instances, rotated by size:
// web.log -> web.log.1 -> ... -> web.log.N, the oldest dropped.
//
// Lines are queued and appended in batches by one async loop: the event loop never waits on
// the disk, and a crash loses at most the lines of the current turn. A disk that cannot keep up
// makes the queue drop lines (counted, and noted in the file) rather than grow without bound.
import type { FileHandle } from "node:fs/promises";
import { mkdir, open, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";

export interface RotatingLogFileOptions {
  /** The live file is rotated before a write would take it past this size. */
  maxBytes: number;
  /** Rotated files kept besides the live one. */
  keep: number;
  /** Queued bytes beyond which lines are dropped. */
  maxQueuedBytes?: number;
  /**
   * Writing started to fail (open, write or rotate): the lines concerned are lost, later lines
   * are tried again. Called once per failure, not per write: again only after a write has
   * succeeded since, so a directory that cannot be created does not flood stderr.
   */
  onError?: (error: Error) => void;
}

/** `2026-11-30T01:02:03.456Z web#1 stdout hello`: the format of one line in a log file. */
export function logFileLine(
  at: Date,
  instance: string,
  stream: "stdout" | "stderr" | "berth",
  text: string,
): string {
  return `${at.toISOString()} ${instance} ${stream} ${text}`;
}

const MAX_BATCH_BYTES = 256 * 1024;

export class RotatingLogFile {
  readonly #path: string;
  readonly #opts: Required<Omit<RotatingLogFileOptions, "onError">> & Pick<RotatingLogFileOptions, "onError">;
  #queue: string[] = [];
  #queuedBytes = 0;
  #dropped = 0;
  #handle: FileHandle | undefined;
  #size = 0;
  #writing: Promise<void> | undefined;
  #closed = false;
  /** The last attempt failed and was reported; cleared by the next successful write. */
  #failing = false;

  constructor(path: string, opts: RotatingLogFileOptions) {
    this.#path = path;
    this.#opts = { maxQueuedBytes: 8 * 1024 * 1024, ...opts };
  }

  get path(): string {
    return this.#path;
  }

  /** Appends `line` and a newline. Lines written after close() are ignored. */
  write(line: string): void {
    if (this.#closed) return;
    const entry = `${line}\n`;
    const bytes = Buffer.byteLength(entry);
    if (this.#queuedBytes + bytes > this.#opts.maxQueuedBytes) {
      this.#dropped++;
      return;
    }
    if (this.#dropped > 0) {
      this.#enqueue(`${new Date().toISOString()} [berth] ${this.#dropped} lines dropped: disk too slow\n`);
    }
    this.#dropped = 0;
    this.#enqueue(entry);
  }

  /** Resolves once every line written so far is in the file (or failed). */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  /** Writes what is queued, then closes the file. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
  }

  #enqueue(entry: string): void {
    this.#queue.push(entry);
    this.#queuedBytes += Buffer.byteLength(entry);
    this.#startWriting();
  }

  #startWriting(): void {
    this.#writing ??= this.#drain().finally(() => {
      this.#writing = undefined;
      // A line queued after the drain's last look but before this ran found it still writing:
      // without this it would wait for the next line (or be lost at close).
      if (this.#queue.length > 0) this.#startWriting();
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      try {
        const handle = await this.#open();
        const batch = this.#takeBatch(this.#opts.maxBytes - this.#size);
        if (batch === undefined) {
          await this.#rotate();
          continue;
        }
        await handle.write(batch.text);
        this.#size += batch.bytes;
        this.#failing = false;
      } catch (error) {
        // Give up on what is queued; the next write tries again with a fresh file handle.
        this.#queue = [];
        this.#queuedBytes = 0;
        await this.#handle?.close().catch(() => {});
        this.#handle = undefined;
        if (this.#failing) continue;
        this.#failing = true;
        this.#opts.onError?.(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  /** Queued lines that fit in `room` bytes; undefined when the next line needs a new file. */
  #takeBatch(room: number): { text: string; bytes: number } | undefined {
    let text = "";
    let bytes = 0;
    while (this.#queue.length > 0 && bytes < MAX_BATCH_BYTES) {
      const entry = this.#queue[0] ?? "";
      const size = Buffer.byteLength(entry);
      // A line larger than maxBytes on its own goes whole into an empty file.
      const fits = bytes + size <= room || (this.#size === 0 && bytes === 0);
      if (!fits) break;
      this.#queue.shift();
      this.#queuedBytes -= size;
      text += entry;
      bytes += size;
    }
    return bytes === 0 ? undefined : { text, bytes };
  }

  async #open(): Promise<FileHandle> {
    if (this.#handle) return this.#handle;
    await mkdir(dirname(this.#path), { recursive: true });
    const handle = await open(this.#path, "a");
    this.#size = (await handle.stat()).size;
    this.#handle = handle;
    return handle;
  }

  async #rotate(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
    const { keep } = this.#opts;
    if (keep <= 0) {
      await unlink(this.#path).catch(ignoreMissing);
      return;
    }
    // rename() replaces its target, so moving .N-1 onto .N is what drops the oldest.
    for (let n = keep - 1; n >= 1; n--) {
      await rename(`${this.#path}.${n}`, `${this.#path}.${n + 1}`).catch(ignoreMissing);
    }
    await rename(this.#path, `${this.#path}.1`).catch(ignoreMissing);
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== "ENOENT") throw error;
}
