// The request head, checked and made ready to forward, for plain requests and upgrades alike:
// header count, framing, route, then the passes in order (hop-by-hop, Expect, Host, forwarding
// headers, the user's ops last). What is refused here never reaches an upstream.

import type { Exchange } from "./exchange-log.js";
import type { IncomingRequest, RequestBody } from "./incoming-request.js";
import { applyForwarded } from "./passes/forwarded.js";
import { checkFraming } from "./passes/framing.js";
import { HeaderList } from "./passes/header-list.js";
import { removeHopByHop } from "./passes/hop-by-hop.js";
import { applyHeaderOps } from "./passes/user-headers.js";
import type { PreparedRoute, PreparedRoutes } from "./prepared-routes.js";
import type { ProxyFailure } from "./proxy-error.js";
import type { Router } from "./router.js";

export interface HeadContext {
  router: Router;
  routes: PreparedRoutes;
  maxHeaders: number;
}

export interface RequestHead {
  route: PreparedRoute;
  /** Request headers after the passes, as name, value, name, value… */
  headers: string[];
  /** The request-target to send upstream. */
  path: string;
  /** Host and port the client addressed: the public side of reverse rewriting. */
  publicHost: string;
  /** The body stream to forward, or null when it has none. */
  body: RequestBody | null;
  /** The declared body size (Content-Length), 0 when unknown. */
  size: number;
}

export type HeadResult = { ok: true; head: RequestHead } | { ok: false; failure: ProxyFailure };

function refused(failure: ProxyFailure): HeadResult {
  return { ok: false, failure };
}

/**
 * The body to forward. A transfer coding before `chunked` (`gzip, chunked`, which the framing
 * check lets through as unambiguous) would have to reach the upstream as sent, and berth re-frames
 * bodies: such a request is refused (501, as nginx does) rather than passed on decoded wrongly.
 */
function bodyOf(req: IncomingRequest): { body: RequestBody | null; size: number } | undefined {
  const raw = req.rawHeaders;
  let length: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 17 && name.toLowerCase() === "transfer-encoding") {
      return raw[i + 1]!.trim().toLowerCase() === "chunked" ? { body: req.body, size: 0 } : undefined;
    }
    if (name.length === 14 && name.toLowerCase() === "content-length") length = raw[i + 1];
  }
  if (length === undefined || req.body === null) return { body: null, size: 0 };
  return { body: req.body, size: Number(length) };
}

/** Checks and prepares `req`'s head; sets `x.host` and `x.requestId` as they become known. */
export function readRequestHead(
  ctx: HeadContext,
  req: IncomingRequest,
  x: Exchange,
  upgrade: boolean,
): HeadResult {
  // For the log, whatever is refused below: the Host as sent (routing may replace it).
  const headers = new HeaderList(req.rawHeaders);
  const hostHeader = headers.get("host");
  x.host = hostHeader ?? "";
  // node keeps one more field than allowed (see proxy-server.ts), so a request over the limit shows.
  if (req.rawHeaders.length > ctx.maxHeaders * 2) {
    return refused({ kind: "bad_request", detail: `more than ${ctx.maxHeaders} header fields`, status: 431 });
  }
  const verdict = checkFraming(req);
  if (!verdict.ok) return refused({ kind: "bad_request", detail: verdict.reason, status: verdict.status });

  // Read before the passes: HeaderList edits req.rawHeaders in place, and the hop-by-hop pass
  // removes Transfer-Encoding, which would make a chunked body look like no body at all.
  const framed = bodyOf(req);
  if (framed === undefined) {
    return refused({
      kind: "not_implemented",
      detail: "transfer codings other than chunked (gzip, chunked…)",
    });
  }
  const { body, size } = framed;
  const expect = headers.get("expect");
  if (expect !== undefined && expect.toLowerCase() !== "100-continue") {
    return refused({ kind: "bad_request", detail: `Expect: ${expect}`, status: 417 });
  }
  const routed = ctx.router.route(hostHeader, req.url);
  if (routed.kind === "bad_request")
    return refused({ kind: "bad_request", detail: routed.reason, status: 400 });
  if (routed.kind !== "route") return refused({ kind: routed.kind });
  if (routed.authority !== undefined) x.host = routed.authority;
  const route = ctx.routes.route(routed.route);
  const peer = req.peer;

  removeHopByHop(headers, { upgrade });
  headers.remove("expect"); // the client connection answered it (100 Continue)
  if (!routed.route.preserveHost) headers.remove("host");
  else if (routed.authority !== undefined) headers.set("Host", routed.authority, "host");
  x.requestId = applyForwarded(headers, {
    peerAddress: peer.remoteAddress,
    localPort: peer.localPort,
    tls: false,
    host: routed.authority ?? hostHeader,
    trusted: ctx.routes.trusts(routed.site, peer.remoteAddress),
    requestId: x.requestId,
  });
  applyHeaderOps(headers, route.requestOps);
  return {
    ok: true,
    head: {
      route,
      headers: headers.raw,
      path: routed.upstreamPath,
      publicHost: routed.authority ?? (hostHeader || `${peer.localAddress}:${peer.localPort}`),
      body,
      size,
    },
  };
}
