// A long answer of the engine (events, followed logs) read as an async iterator that close() or
// an abort ends quietly, wherever the reader is waiting; a connection that breaks otherwise
// throws an EngineConnectionError.

import type { IncomingMessage } from "node:http";
import { EngineConnectionError } from "./engine-error.js";

export class EngineStream<T> implements AsyncIterableIterator<T> {
  readonly #res: IncomingMessage;
  readonly #items: AsyncGenerator<T>;
  readonly #lost: (error: NodeJS.ErrnoException) => EngineConnectionError;
  #closed = false;

  constructor(
    res: IncomingMessage,
    items: AsyncGenerator<T>,
    lost: (error: NodeJS.ErrnoException) => EngineConnectionError,
    signal?: AbortSignal,
  ) {
    this.#res = res;
    this.#items = items;
    this.#lost = lost;
    // Marked before the request layer destroys the response, so the reader ends quietly.
    const onAbort = () => this.close();
    signal?.addEventListener("abort", onAbort, { once: true });
    res.once("close", () => signal?.removeEventListener("abort", onAbort));
  }

  async next(): Promise<IteratorResult<T>> {
    if (this.#closed) return { done: true, value: undefined };
    try {
      return await this.#items.next();
    } catch (error) {
      if (this.#closed) return { done: true, value: undefined };
      if (error instanceof EngineConnectionError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      // The socket broke or closed under the reader: the engine went away.
      if (code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE" || code === "EPIPE")
        throw this.#lost(error as NodeJS.ErrnoException);
      throw error;
    }
  }

  async return(): Promise<IteratorResult<T>> {
    this.close();
    return { done: true, value: undefined };
  }

  /** Ends the stream: a reader waiting for the next item gets done. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#res.destroy();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
