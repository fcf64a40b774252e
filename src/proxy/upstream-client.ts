// A keep-alive pool of HTTP/1.1 connections to one upstream origin, with the dispatch(options,
// handler) contract of undici's Pool, which it replaced: node's native llhttp instead of undici's
// WASM parser and request validation (the heads come from node's parser and the checked config),
// it took berth from ~93 to ~78 µs of CPU per proxied request and peak RSS under load from ~130
// to ~85 MiB (bench/RESULTS.md). Connections are unlimited
// and carry one request at a time; the idle ones are reused last-in first-out, so under light load
// the least recently used ones age out, after 4 s or the upstream's Keep-Alive timeout if shorter.
import {
  type ConnectionOwner,
  IDLE_TIMEOUT_MS,
  UpstreamConnection,
  UpstreamError,
  type UpstreamHandler,
  type UpstreamRequest,
} from "./upstream-connection.js";

export type { UpstreamHandler, UpstreamRequest } from "./upstream-connection.js";

export interface UpstreamPoolOptions {
  /** How long connecting may take; 0: no limit of berth's own. */
  connectTimeoutMs: number;
}

export class UpstreamPool implements ConnectionOwner {
  readonly #host: string;
  readonly #port: number;
  readonly #hostLine: string;
  readonly #connectTimeoutMs: number;
  readonly #all = new Set<UpstreamConnection>();
  /** Usable connections, the most recently used last; each with when it stops being usable. */
  readonly #idle: UpstreamConnection[] = [];
  readonly #idleUntil = new WeakMap<UpstreamConnection, number>();
  #sweepTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(host: string, port: number, options: UpstreamPoolOptions) {
    this.#host = host;
    this.#port = port;
    this.#connectTimeoutMs = options.connectTimeoutMs;
    const name = host.includes(":") ? `[${host}]` : host;
    this.#hostLine = `host: ${name}${port === 80 ? "" : `:${port}`}\r\n`;
  }

  /** Connections open, busy or idle. */
  get size(): number {
    return this.#all.size;
  }

  /** Connections waiting for a request. */
  get idleCount(): number {
    return this.#idle.length;
  }

  /** Sends `request` on an idle connection, or a new one; the outcome goes to `handler`. */
  dispatch(request: UpstreamRequest, handler: UpstreamHandler): boolean {
    if (this.#closed) {
      handler.onError(new UpstreamError("UND_ERR_DESTROYED", "the upstream pool is closed"));
      return false;
    }
    let connection = this.#idle.pop();
    while (connection !== undefined && !connection.usable) connection = this.#idle.pop();
    if (connection === undefined) {
      connection = new UpstreamConnection(
        this,
        this.#host,
        this.#port,
        this.#hostLine,
        this.#connectTimeoutMs,
      );
      this.#all.add(connection);
    }
    connection.send(request, handler);
    return true;
  }

  idle(connection: UpstreamConnection, idleMs: number): void {
    if (this.#closed) {
      connection.destroy();
      return;
    }
    this.#idleUntil.set(connection, Date.now() + idleMs);
    this.#idle.push(connection);
    if (this.#sweepTimer === undefined) this.#sweepTimer = setTimeout(this.#sweep, idleMs).unref();
  }

  gone(connection: UpstreamConnection): void {
    this.#all.delete(connection);
    const at = this.#idle.lastIndexOf(connection);
    if (at !== -1) this.#idle.splice(at, 1);
  }

  /** Closes the connections idle too long: the oldest are at the bottom of the stack. */
  readonly #sweep = (): void => {
    this.#sweepTimer = undefined;
    const now = Date.now();
    const idle = this.#idle;
    let expired = 0;
    while (expired < idle.length && this.#idleUntil.get(idle[expired]!)! <= now) expired++;
    for (const connection of idle.splice(0, expired)) connection.destroy();
    if (idle.length > 0) {
      const next = Math.max(1, this.#idleUntil.get(idle[0]!)! - now);
      this.#sweepTimer = setTimeout(this.#sweep, next).unref();
    }
  };

  /** Closes every connection at once; requests in flight fail. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#sweepTimer);
    this.#sweepTimer = undefined;
    this.#idle.length = 0;
    const error = new UpstreamError("UND_ERR_DESTROYED", "the upstream pool is closed");
    for (const connection of [...this.#all]) connection.destroy(error);
    this.#all.clear();
  }
}

export { IDLE_TIMEOUT_MS };
