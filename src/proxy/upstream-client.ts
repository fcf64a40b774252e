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
    // An expired one would meet the upstream closing it: the sweep may not have come by yet.
    const now = Date.now();
    let connection = this.#idle.pop();
    while (connection !== undefined && (!connection.usable || this.#idleUntil.get(connection)! <= now)) {
      if (connection.usable) connection.destroy();
      connection = this.#idle.pop();
    }
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

  /** `fresh`: the deadline starts now; else the connection keeps the one it had. */
  idle(connection: UpstreamConnection, idleMs: number, fresh: boolean): void {
    if (this.#closed) {
      connection.destroy();
      return;
    }
    if (fresh || !this.#idleUntil.has(connection)) this.#idleUntil.set(connection, Date.now() + idleMs);
    this.#idle.push(connection);
    this.#sweepTimer ??= setTimeout(this.#sweep, idleMs).unref();
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
    // Deadlines differ (an upstream's Keep-Alive: timeout= varies): look at every one.
    let next = Number.POSITIVE_INFINITY;
    for (const connection of [...idle]) {
      const until = this.#idleUntil.get(connection)!;
      if (until <= now) connection.destroy();
      else next = Math.min(next, until);
    }
    if (next !== Number.POSITIVE_INFINITY) {
      this.#sweepTimer = setTimeout(this.#sweep, Math.max(1, next - now)).unref();
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
