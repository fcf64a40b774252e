// One attempt at forwarding a request to one target, through berth's own upstream pool and its
// raw handler interface (undici's legacy dispatch handler: no parsed header objects, no stream
// wrappers; see upstream-client.ts for why not undici itself).
// The response streams to the client as it arrives, with back-pressure both ways; nothing is
// buffered whole. What the attempt could not do is returned for the caller to decide (retry,
// or one error answer).

import type { ClientResponse, ResponseWriter } from "./client-response.js";
import type { IncomingRequest, RequestBody } from "./incoming-request.js";
import { HeaderList } from "./passes/header-list.js";
import { applyResponsePasses } from "./passes/response-passes.js";
import type { ReverseRewriteContext } from "./passes/reverse-rewrite.js";
import type { PreparedHeaderOps } from "./passes/user-headers.js";
import type { ProxyFailure } from "./proxy-error.js";
import type { UpstreamHandler, UpstreamPool } from "./upstream-client.js";

export type AttemptResult =
  /**
   * A response went out (whole, or cut off because one side broke: `cut` says why), or the
   * client left (status 499 when no head had gone out).
   */
  | { kind: "answered"; status: number; bytes: number; cut?: string }
  /** Nothing reached the client. `sent`: the upstream may have seen (part of) the request. */
  | { kind: "failed"; failure: ProxyFailure; sent: boolean };

export interface AttemptRequest {
  req: IncomingRequest;
  res: ClientResponse;
  method: string;
  path: string;
  /** Request headers after the passes, as name, value, name, value… */
  headers: string[];
  /** The request's body stream, or null when it has none. */
  body: RequestBody | null;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  rewrite: ReverseRewriteContext;
  responseOps: PreparedHeaderOps;
}

/**
 * Trailer fields a client must not take from a trailer: framing and routing fields, and those
 * RFC 9110 §6.5.1 says need to be known before the content (controls, authentication, cookies,
 * representation metadata). A trailer is for checksums and status after a stream.
 */
const FORBIDDEN_TRAILERS = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "trailer",
  "te",
  "upgrade",
  "set-cookie",
  "cookie",
  "authorization",
  "www-authenticate",
  "proxy-authenticate",
  "proxy-authorization",
  "location",
  "content-type",
  "content-encoding",
  "content-range",
  "cache-control",
  "expires",
  "age",
  "date",
  "vary",
  "retry-after",
  "max-forwards",
]);

function classify(error: Error & { code?: string }, sent: boolean): ProxyFailure {
  const code = error.code ?? "";
  if (code === "UND_ERR_CONNECT_TIMEOUT") return { kind: "timeout", detail: "connecting took too long" };
  if (code === "UND_ERR_HEADERS_TIMEOUT") return { kind: "timeout", detail: "no response head in time" };
  if (code === "UND_ERR_BODY_TIMEOUT") return { kind: "timeout", detail: "the response stalled" };
  // The client's own upload stopped coming (for the route's idle time): its fault, not the upstream's.
  if (code === "UND_ERR_REQUEST_TIMEOUT") {
    return { kind: "bad_request", detail: "the request body stalled", status: 408 };
  }
  if (!sent && (code === "ECONNREFUSED" || code === "ECONNRESET" || code === "EHOSTUNREACH")) {
    return { kind: "refused", detail: code };
  }
  if (code === "UND_ERR_SOCKET" || code === "ECONNRESET") {
    return { kind: "broken", detail: "the connection closed before a whole response" };
  }
  return { kind: "broken", detail: code ? `${code}: ${error.message}` : error.message };
}

class Attempt implements UpstreamHandler, ResponseWriter {
  readonly #r: AttemptRequest;
  readonly #done: (result: AttemptResult) => void;
  #abort: ((reason?: Error) => void) | undefined;
  #sent = false;
  #status = 0;
  #bytes = 0;
  #resume: (() => void) | undefined;
  #settled = false;

  constructor(r: AttemptRequest, done: (result: AttemptResult) => void) {
    this.#r = r;
    this.#done = done;
  }

  /** The client went away: stop the upstream exchange too. */
  clientClosed(): void {
    if (this.#settled) return;
    this.#abort?.(new Error("client closed the connection"));
    this.#settle({ kind: "answered", status: this.#status || 499, bytes: this.#bytes });
  }

  /** The client's socket took what was buffered: let the upstream send more. */
  drained(): void {
    this.#resume?.();
  }

  onConnect(abort: (reason?: Error) => void): void {
    this.#abort = abort;
    this.#sent = true;
    // The client left while the connection was being made: nothing more to send.
    if (this.#settled) abort(new Error("client closed the connection"));
  }

  onHeaders(status: number, rawHeaders: string[], resume: () => void, statusText: string): boolean {
    // 1xx (102 Processing, 103 Early Hints) are interim: the final response follows. Relaying
    // them is optional (RFC 9110 §15.2).
    if (status < 200) return true;
    const r = this.#r;
    const headers = new HeaderList(rawHeaders);
    applyResponsePasses(headers, r.rewrite, r.responseOps);
    this.#status = status;
    try {
      r.res.writeHead(status, statusText || undefined, headers.raw);
    } catch (error) {
      // The upstream sent a head that may not be repeated (an invalid value): it broke the exchange.
      this.#status = 0;
      this.#abort?.(error as Error);
      return false;
    }
    this.#resume = resume;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.#bytes += chunk.length;
    return this.#r.res.write(chunk);
  }

  onComplete(trailers: string[] | null): void {
    const res = this.#r.res;
    if (trailers && trailers.length > 0) {
      const list = new HeaderList(trailers);
      list.removeWhere((name) => FORBIDDEN_TRAILERS.has(name.toLowerCase()));
      const pairs: [string, string][] = [];
      for (let i = 0; i < list.size; i++) pairs.push([list.name(i), list.value(i)]);
      if (pairs.length > 0) res.addTrailers(pairs);
    }
    res.end();
    this.#settle({ kind: "answered", status: this.#status, bytes: this.#bytes });
  }

  onError(error: Error): void {
    if (this.#settled) return;
    const res = this.#r.res;
    if (this.#status !== 0) {
      // Part of the response went out: cut the connection so the client cannot take the
      // truncated body for a whole one.
      res.destroy();
      this.#settle({ kind: "answered", status: this.#status, bytes: this.#bytes, cut: error.message });
      return;
    }
    const sent = this.#sent;
    const failure = classify(error as Error & { code?: string }, sent);
    this.#settle({ kind: "failed", failure, sent });
  }

  onUpgrade(): void {
    // Upgrades are tunnelled by upgrade.ts, never dispatched here.
    this.#abort?.(new Error("unexpected upgrade"));
  }

  #settle(result: AttemptResult): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#r.res.writer === this) this.#r.res.writer = undefined;
    // A failure may mean another attempt: made once the failing connection's callbacks are over.
    if (result.kind === "failed") process.nextTick(this.#done, result);
    else this.#done(result);
  }
}

/** Forwards once through `pool`; `done` is told however it ends. */
export function attempt(pool: UpstreamPool, r: AttemptRequest, done: (result: AttemptResult) => void): void {
  const handler = new Attempt(r, done);
  r.res.writer = handler;
  pool.dispatch(
    {
      path: r.path,
      method: r.method,
      headers: r.headers,
      body: r.body,
      headersTimeout: r.headersTimeoutMs,
      bodyTimeout: r.bodyTimeoutMs,
    },
    handler,
  );
}
