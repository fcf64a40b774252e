// One client request, from its head to the access log line: the head is checked and prepared
// (request-head.ts), then attempts at forwarding go on until one answers. A request waits in the
// backend's HoldQueue while no instance is ready, and is tried again on another instance, or on
// the restarted one, when the upstream cannot have acted on it: the connection was refused or
// never made, or it broke before any response while the request was idempotent and bodiless.
import type { AccessLog } from "./access-log.js";
import type { ClientResponse } from "./client-response.js";
import { type Exchange, logExchange, reportAnswer, reportExchange, startExchange } from "./exchange-log.js";
import { type AttemptResult, attempt } from "./forward.js";
import type { InFlight } from "./in-flight.js";
import type { IncomingRequest } from "./incoming-request.js";
import { publicOrigin } from "./passes/reverse-rewrite.js";
import type { PreparedRoutes } from "./prepared-routes.js";
import { errorAnswer, type ProxyFailure, sendError } from "./proxy-error.js";
import { type RequestHead, readRequestHead } from "./request-head.js";
import type { Router } from "./router.js";
import { type NextTarget, TargetChooser } from "./target-chooser.js";
import type { Target } from "./upstream.js";
import type { UpstreamPools } from "./upstream-pools.js";

export interface ListenerContext {
  router: Router;
  routes: PreparedRoutes;
  pools: UpstreamPools;
  accessLog: AccessLog | undefined;
  /** berth's own log: an error answer berth made itself is worth a line there. */
  report: (message: string) => void;
  maxHeaders: number;
  inFlight: InFlight;
}

/** RFC 9110 §9.2.2, minus what may carry a body we would have to replay. */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

function finish(ctx: ListenerContext, x: Exchange, status: number, bytes: number): void {
  ctx.inFlight.end();
  logExchange(ctx, x, status, bytes);
}

function fail(ctx: ListenerContext, x: Exchange, res: ClientResponse, failure: ProxyFailure): void {
  if (res.headersSent) {
    // The server answered already (a request body that broke its framing, see proxy-server.ts).
    finish(ctx, x, res.statusCode, 0);
    return;
  }
  const answer = errorAnswer(failure);
  reportAnswer(ctx, x, answer);
  finish(ctx, x, answer.status, sendError(res, answer, x.requestId));
}

export function serveRequest(ctx: ListenerContext, req: IncomingRequest, res: ClientResponse): void {
  const x = startExchange(req);
  ctx.inFlight.begin();
  const prepared = readRequestHead(ctx, req, x, false);
  // For an answer the connection makes itself (the body breaks its framing, see proxy-server.ts).
  res.requestId = x.requestId;
  if (!prepared.ok) {
    fail(ctx, x, res, prepared.failure);
    return;
  }
  new Forwarding(ctx, x, res, prepared.head).next();
}

/**
 * The attempts of one request, as callbacks rather than an async function: a request whose first
 * instance is ready and answers costs no promise and no microtask.
 */
class Forwarding {
  readonly #ctx: ListenerContext;
  readonly #x: Exchange;
  readonly #res: ClientResponse;
  readonly #head: RequestHead;
  readonly #chooser: TargetChooser;
  #target: Target | undefined;

  constructor(ctx: ListenerContext, x: Exchange, res: ClientResponse, head: RequestHead) {
    this.#ctx = ctx;
    this.#x = x;
    this.#res = res;
    this.#head = head;
    this.#chooser = new TargetChooser(head.route.backend, head.size, () => {
      const abort = new AbortController();
      res.onClose(() => abort.abort());
      return abort.signal;
    });
  }

  next(): void {
    try {
      const ready = this.#chooser.now();
      if (ready !== undefined) this.#send(ready);
      else this.#chooser.next().then(this.#onNext, this.#onDefect);
    } catch (error) {
      this.#onDefect(error as Error);
    }
  }

  readonly #onNext = (next: NextTarget): void => {
    try {
      const res = this.#res;
      // The client left, or the connection answered it itself (a malformed body).
      if (next.kind === "cancelled" || res.destroyed || res.finished) {
        finish(this.#ctx, this.#x, res.headersSent ? res.statusCode : 499, 0);
      } else if (next.kind === "failure") fail(this.#ctx, this.#x, res, next.failure);
      else this.#send(next.target);
    } catch (error) {
      this.#onDefect(error as Error);
    }
  };

  #send(target: Target): void {
    const res = this.#res;
    if (res.destroyed || res.finished) {
      finish(this.#ctx, this.#x, res.headersSent ? res.statusCode : 499, 0);
      return;
    }
    const head = this.#head;
    const { route, body } = head;
    const timeouts = route.config.timeouts;
    this.#x.instance = target.instance;
    this.#target = target;
    route.backend.acquire(target);
    attempt(
      this.#ctx.pools.get(target, timeouts.connectMs),
      {
        req: this.#x.req,
        res,
        method: this.#x.req.method,
        path: head.path,
        headers: head.headers,
        body,
        headersTimeoutMs: timeouts.responseHeaderMs,
        bodyTimeoutMs: timeouts.idleMs,
        rewrite: {
          upstream: route.backend.origins(target),
          publicOrigin: publicOrigin("http", head.publicHost),
          prefix: route.prefix,
        },
        responseOps: route.responseOps,
      },
      this.#onResult,
    );
  }

  readonly #onResult = (result: AttemptResult): void => {
    const ctx = this.#ctx;
    const x = this.#x;
    const res = this.#res;
    const target = this.#target!;
    try {
      this.#head.route.backend.release(target);
      if (result.kind === "answered") {
        // 499 with a head already out: the connection answered a malformed body itself, then closed.
        const status = result.status === 499 && res.headersSent ? res.statusCode : result.status;
        if (result.cut !== undefined) {
          reportExchange(ctx, x, status, `response cut off after ${result.bytes} bytes: ${result.cut}`);
        }
        finish(ctx, x, status, result.bytes);
        return;
      }
      // Nothing sent (refused, or the connection was never made): safe to send anywhere. Sent,
      // with no response: only what may be repeated, and what there is no body of to replay.
      const body = this.#head.body;
      const replayable =
        !body?.readableDidRead &&
        (!result.sent ||
          (body === null && IDEMPOTENT.has(x.req.method) && result.failure.kind !== "timeout"));
      if (this.#chooser.failed(target, result.failure, result.sent, replayable)) this.next();
      else fail(ctx, x, res, result.failure);
    } catch (error) {
      this.#onDefect(error as Error);
    }
  };

  /** A defect, not a condition: answer what can be answered, never take berth down. */
  readonly #onDefect = (error: Error): void => {
    const ctx = this.#ctx;
    const x = this.#x;
    const res = this.#res;
    reportExchange(ctx, x, 500, `berth failed: ${error.stack ?? error.message}`);
    if (!res.headersSent)
      sendError(res, errorAnswer({ kind: "broken", detail: "internal error" }), x.requestId);
    else res.destroy();
    finish(ctx, x, 500, 0);
  };
}
