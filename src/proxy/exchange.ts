// One client request, from its head to the access log line: the framing check, the route, the
// request passes in order (hop-by-hop, Host, forwarding headers, the user's ops last), then
// attempts at forwarding until one answers. A request waits in the backend's HoldQueue while no
// instance is ready, and is tried again on another instance, or on the restarted one, when the
// upstream could not have acted on it: the connection was refused, or it broke before any
// response while the request was idempotent and bodiless.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AccessLog } from "./access-log.js";
import { attempt } from "./forward.js";
import { applyForwarded, clientAddress } from "./passes/forwarded.js";
import { checkFraming } from "./passes/framing.js";
import { HeaderList } from "./passes/header-list.js";
import { removeHopByHop } from "./passes/hop-by-hop.js";
import { publicOrigin } from "./passes/reverse-rewrite.js";
import { applyHeaderOps } from "./passes/user-headers.js";
import type { PreparedRoute, PreparedRoutes } from "./prepared-routes.js";
import { errorAnswer, type ProxyFailure, sendError } from "./proxy-error.js";
import { nextRequestId } from "./request-id.js";
import type { Router } from "./router.js";
import type { Target } from "./upstream.js";
import type { UpstreamPools } from "./upstream-pools.js";

export interface ListenerContext {
  router: Router;
  routes: PreparedRoutes;
  pools: UpstreamPools;
  accessLog: AccessLog | undefined;
  /** berth's own log: an error answer berth made itself is worth a line there. */
  report: (message: string) => void;
}

/** Tries per request, whatever failed: enough for a replica or two dying under it. */
const MAX_ATTEMPTS = 4;
/** RFC 9110 §9.2.2, minus what may carry a body we would have to replay. */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  startedAt: number;
  t0: number;
  client: string;
  host: string;
  requestId: string;
  instance: string;
}

/** The exchange of each response in flight, for the server's clientError handler. */
const inFlight = new WeakMap<ServerResponse, Exchange>();

/** The request id of the exchange answering with `res`, if one is in flight. */
export function requestIdOf(res: ServerResponse): string | undefined {
  return inFlight.get(res)?.requestId;
}

function finish(ctx: ListenerContext, x: Exchange, status: number, bytes: number): void {
  inFlight.delete(x.res);
  ctx.accessLog?.write({
    startedAt: x.startedAt,
    client: x.client,
    host: x.host,
    method: x.req.method ?? "-",
    target: x.req.url ?? "-",
    status,
    bytes,
    instance: x.instance,
    durationMs: performance.now() - x.t0,
    requestId: x.requestId,
  });
}

function fail(ctx: ListenerContext, x: Exchange, failure: ProxyFailure): void {
  const answer = errorAnswer(failure);
  if (answer.status >= 500) {
    ctx.report(
      `${answer.status} ${x.req.method} ${x.host}${x.req.url} (${x.instance}): ${answer.message} [request ${x.requestId}]`,
    );
  }
  sendError(x.res, answer, x.requestId);
  finish(ctx, x, answer.status, 0);
}

export function serveRequest(ctx: ListenerContext, req: IncomingMessage, res: ServerResponse) {
  const socket = req.socket;
  const x: Exchange = {
    req,
    res,
    startedAt: Date.now(),
    t0: performance.now(),
    client: clientAddress(socket.remoteAddress ?? "-"),
    host: "",
    requestId: nextRequestId(),
    instance: "-",
  };
  inFlight.set(res, x);
  const verdict = checkFraming(req);
  if (!verdict.ok)
    return fail(ctx, x, { kind: "bad_request", detail: verdict.reason, status: verdict.status });

  // Read before the passes: HeaderList edits req.rawHeaders in place, and the hop-by-hop pass
  // removes Transfer-Encoding, which would make a chunked body look like no body at all.
  const body = bodyOf(req);
  const headers = new HeaderList(req.rawHeaders);
  const hostHeader = headers.get("host");
  x.host = hostHeader ?? "";
  const routed = ctx.router.route(hostHeader, req.url ?? "");
  if (routed.kind !== "route") {
    if (routed.kind === "bad_request")
      return fail(ctx, x, { kind: "bad_request", detail: routed.reason, status: 400 });
    return fail(ctx, x, { kind: routed.kind });
  }
  const route = ctx.routes.route(routed.route);
  const publicHost = routed.authority ?? (hostHeader || `${socket.localAddress}:${socket.localPort}`);

  removeHopByHop(headers, { upgrade: false });
  headers.remove("expect"); // node:http answered it (100 Continue) for the client already
  if (!routed.route.preserveHost) headers.remove("host");
  else if (routed.authority !== undefined) headers.set("Host", routed.authority, "host");
  const requestId = applyForwarded(headers, {
    peerAddress: socket.remoteAddress ?? "",
    localPort: socket.localPort ?? 0,
    tls: false,
    host: routed.authority ?? hostHeader,
    trusted: ctx.routes.trusts(routed.site, socket.remoteAddress ?? ""),
    requestId: x.requestId,
  });
  x.requestId = requestId;
  applyHeaderOps(headers, route.requestOps);

  void forwardWithRetries(ctx, x, route, headers.raw, body, routed.upstreamPath, publicHost);
}

function bodyOf(req: IncomingMessage): { body: IncomingMessage | null; size: number } {
  const headers = req.rawHeaders;
  let length: string | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name.length === 17 && name.toLowerCase() === "transfer-encoding") return { body: req, size: 0 };
    if (name.length === 14 && name.toLowerCase() === "content-length") length = headers[i + 1];
  }
  if (length === undefined || length === "0") return { body: null, size: 0 };
  return { body: req, size: Number(length) };
}

async function forwardWithRetries(
  ctx: ListenerContext,
  x: Exchange,
  route: PreparedRoute,
  headers: string[],
  { body, size }: { body: IncomingMessage | null; size: number },
  path: string,
  publicHost: string,
) {
  const { req, res } = x;
  const backend = route.backend;
  const method = req.method!;
  const timeouts = route.config.timeouts;
  const rewriteBase = { publicOrigin: publicOrigin("http", publicHost), prefix: route.prefix };
  let exclude: Set<string> | undefined;
  let lastFailure: ProxyFailure | undefined;
  let holdSignal: AbortController | undefined;

  for (let attempts = 0; ; ) {
    let target: Target | undefined = backend.pick(exclude) ?? backend.pick();
    if (target === undefined) {
      if (!backend.holds) return fail(ctx, x, lastFailure ?? { kind: "refused", detail: "no address" });
      if (!holdSignal) {
        holdSignal = new AbortController();
        const abort = holdSignal;
        res.once("close", () => abort.abort());
      }
      const outcome = await backend.hold(size, holdSignal.signal);
      if (outcome === "released") {
        exclude = undefined;
        continue;
      }
      // The client left, or the server answered it itself (a malformed body: see proxy-server.ts).
      if (outcome === "cancelled") return finish(ctx, x, res.headersSent ? res.statusCode : 499, 0);
      if (outcome === "closed")
        return fail(ctx, x, { kind: "stopping", detail: "no new requests are forwarded" });
      return fail(ctx, x, {
        kind: "none_ready",
        detail:
          outcome === "full"
            ? `too many requests wait for ${backend.label}`
            : `${backend.label} did not become ready in time`,
        retryAfterS: 5,
      });
    }
    if (res.destroyed) return finish(ctx, x, 499, 0);
    attempts++;
    x.instance = target.instance;
    backend.acquire(target);
    const result = await attempt(ctx.pools.get(target, timeouts.connectMs), {
      req,
      res,
      method,
      path,
      headers,
      body,
      headersTimeoutMs: timeouts.responseHeaderMs,
      bodyTimeoutMs: timeouts.idleMs,
      rewrite: { upstream: backend.origins(target), ...rewriteBase },
      responseOps: route.responseOps,
    });
    backend.release(target);
    if (result.kind === "answered") {
      // 499 with a head already out: the server answered a malformed body itself, then closed.
      const status = result.status === 499 && res.headersSent ? res.statusCode : result.status;
      return finish(ctx, x, status, result.bytes);
    }

    lastFailure = result.failure;
    if (result.refused) backend.markDown(target);
    const replayable = !req.readableDidRead && (!result.sent || (body === null && IDEMPOTENT.has(method)));
    const retry = replayable && result.failure.kind !== "timeout" && attempts < MAX_ATTEMPTS;
    if (!retry) return fail(ctx, x, result.failure);
    exclude ??= new Set();
    exclude.add(target.instance);
    target = undefined;
  }
}
