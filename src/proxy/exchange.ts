// One client request, from its head to the access log line: the head is checked and prepared
// (request-head.ts), then attempts at forwarding go on until one answers. A request waits in the
// backend's HoldQueue while no instance is ready, and is tried again on another instance, or on
// the restarted one, when the upstream cannot have acted on it: the connection was refused or
// never made, or it broke before any response while the request was idempotent and bodiless.
import type { AccessLog } from "./access-log.js";
import type { ClientResponse } from "./client-response.js";
import { type Exchange, logExchange, reportAnswer, reportExchange, startExchange } from "./exchange-log.js";
import { attempt } from "./forward.js";
import type { InFlight } from "./in-flight.js";
import type { IncomingRequest } from "./incoming-request.js";
import { publicOrigin } from "./passes/reverse-rewrite.js";
import type { PreparedRoutes } from "./prepared-routes.js";
import { errorAnswer, type ProxyFailure, sendError } from "./proxy-error.js";
import { type RequestHead, readRequestHead } from "./request-head.js";
import type { Router } from "./router.js";
import { type NextTarget, TargetChooser } from "./target-chooser.js";
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
  forwardWithRetries(ctx, x, res, prepared.head).catch((error: Error) => {
    // A defect, not a condition: answer what can be answered, never take berth down.
    reportExchange(ctx, x, 500, `berth failed: ${error.stack ?? error.message}`);
    if (!res.headersSent)
      sendError(res, errorAnswer({ kind: "broken", detail: "internal error" }), x.requestId);
    else res.destroy();
    finish(ctx, x, 500, 0);
  });
}

async function forwardWithRetries(ctx: ListenerContext, x: Exchange, res: ClientResponse, head: RequestHead) {
  const req = x.req;
  const { route, body } = head;
  const backend = route.backend;
  const method = req.method;
  const timeouts = route.config.timeouts;
  const rewriteBase = { publicOrigin: publicOrigin("http", head.publicHost), prefix: route.prefix };
  const chooser = new TargetChooser(backend, head.size, () => {
    const abort = new AbortController();
    res.once("close", () => abort.abort());
    return abort.signal;
  });

  for (;;) {
    // Most requests find an instance ready: no await, no turn of the event loop for them.
    const ready = chooser.now();
    const next: NextTarget = ready ? { kind: "target", target: ready } : await chooser.next();
    // The client left, or the server answered it itself (a malformed body: see proxy-server.ts).
    if (next.kind === "cancelled" || res.destroyed) {
      return finish(ctx, x, res.headersSent ? res.statusCode : 499, 0);
    }
    if (next.kind === "failure") return fail(ctx, x, res, next.failure);
    const target = next.target;
    x.instance = target.instance;
    backend.acquire(target);
    let result: Awaited<ReturnType<typeof attempt>>;
    try {
      result = await attempt(ctx.pools.get(target, timeouts.connectMs), {
        req,
        res,
        method,
        path: head.path,
        headers: head.headers,
        body,
        headersTimeoutMs: timeouts.responseHeaderMs,
        bodyTimeoutMs: timeouts.idleMs,
        rewrite: { upstream: backend.origins(target), ...rewriteBase },
        responseOps: route.responseOps,
      });
    } finally {
      backend.release(target);
    }
    if (result.kind === "answered") {
      // 499 with a head already out: the server answered a malformed body itself, then closed.
      const status = result.status === 499 && res.headersSent ? res.statusCode : result.status;
      if (result.cut !== undefined) {
        reportExchange(ctx, x, status, `response cut off after ${result.bytes} bytes: ${result.cut}`);
      }
      return finish(ctx, x, status, result.bytes);
    }
    // Nothing sent (refused, or the connection was never made): safe to send anywhere. Sent, with
    // no response: only what may be repeated, and what there is no body of to replay.
    const replayable =
      !body?.readableDidRead &&
      (!result.sent || (body === null && IDEMPOTENT.has(method) && result.failure.kind !== "timeout"));
    if (!chooser.failed(target, result.failure, result.sent, replayable))
      return fail(ctx, x, res, result.failure);
  }
}
