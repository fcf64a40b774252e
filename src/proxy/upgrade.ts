// Upgrades (WebSocket and any other protocol switch): the request head goes upstream after the
// same passes as any request (Upgrade and Connection: upgrade kept), then the two sockets are
// joined and bytes flow both ways with back-pressure until either side closes. The upstream's
// answer is relayed as it is: a 101 switches, anything else is its own answer to the client.
import type { IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { ListenerContext } from "./exchange.js";
import { applyForwarded, clientAddress } from "./passes/forwarded.js";
import { checkFraming } from "./passes/framing.js";
import { HeaderList } from "./passes/header-list.js";
import { removeHopByHop } from "./passes/hop-by-hop.js";
import { applyHeaderOps } from "./passes/user-headers.js";
import { errorAnswer, errorResponseText, type ProxyFailure } from "./proxy-error.js";
import { nextRequestId } from "./request-id.js";
import type { Target } from "./upstream.js";

function head(method: string, path: string, headers: HeaderList): string {
  let text = `${method} ${path} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.size; i++) text += `${headers.name(i)}: ${headers.value(i)}\r\n`;
  return `${text}\r\n`;
}

function dial(target: Target, timeoutMs: number): Promise<Socket | Error> {
  return new Promise((resolve) => {
    const upstream = connect({ host: target.host, port: target.port });
    const timer = setTimeout(() => upstream.destroy(new Error("connecting took too long")), timeoutMs);
    upstream.once("connect", () => {
      clearTimeout(timer);
      upstream.removeAllListeners("error");
      resolve(upstream);
    });
    upstream.once("error", (error) => {
      clearTimeout(timer);
      resolve(error);
    });
  });
}

export async function serveUpgrade(
  ctx: ListenerContext,
  req: IncomingMessage,
  client: Duplex,
  early: Buffer,
) {
  const t0 = performance.now();
  const startedAt = Date.now();
  const socket = req.socket;
  let requestId = nextRequestId();
  const headers = new HeaderList(req.rawHeaders);
  const host = headers.get("host") ?? "";
  let instance = "-";
  client.on("error", () => {});

  const log = (status: number, bytes: number) =>
    ctx.accessLog?.write({
      startedAt,
      client: clientAddress(socket.remoteAddress ?? "-"),
      host,
      method: req.method ?? "-",
      target: req.url ?? "-",
      status,
      bytes,
      instance,
      durationMs: performance.now() - t0,
      requestId,
    });
  const refuse = (failure: ProxyFailure) => {
    const answer = errorAnswer(failure);
    if (answer.status >= 500)
      ctx.report(
        `${answer.status} upgrade ${host}${req.url} (${instance}): ${answer.message} [request ${requestId}]`,
      );
    client.end(errorResponseText(answer, requestId, req.method === "HEAD"));
    log(answer.status, 0);
  };

  const verdict = checkFraming(req);
  if (!verdict.ok) return refuse({ kind: "bad_request", detail: verdict.reason, status: verdict.status });
  const routed = ctx.router.route(host || undefined, req.url ?? "");
  if (routed.kind !== "route") {
    return refuse(
      routed.kind === "bad_request"
        ? { kind: "bad_request", detail: routed.reason, status: 400 }
        : { kind: routed.kind },
    );
  }
  const route = ctx.routes.route(routed.route);
  removeHopByHop(headers, { upgrade: true });
  if (!routed.route.preserveHost) headers.remove("host");
  requestId = applyForwarded(headers, {
    peerAddress: socket.remoteAddress ?? "",
    localPort: socket.localPort ?? 0,
    tls: false,
    host: routed.authority ?? (host || undefined),
    trusted: ctx.routes.trusts(routed.site, socket.remoteAddress ?? ""),
    requestId,
  });
  applyHeaderOps(headers, route.requestOps);

  const backend = route.backend;
  const cancel = new AbortController();
  client.once("close", () => cancel.abort());
  let upstream: Socket | undefined;
  for (let attempts = 0; upstream === undefined; ) {
    const target = backend.pick();
    if (target === undefined) {
      const outcome = backend.holds ? await backend.hold(0, cancel.signal) : "closed";
      if (outcome === "released") continue;
      if (outcome === "cancelled") return log(499, 0);
      if (outcome === "closed" && backend.holds)
        return refuse({ kind: "stopping", detail: "no new requests are forwarded" });
      if (!backend.holds) return refuse({ kind: "refused", detail: "no address" });
      return refuse({
        kind: "none_ready",
        detail: `${backend.label} did not become ready in time`,
        retryAfterS: 5,
      });
    }
    instance = target.instance;
    const dialed = await dial(target, routed.route.timeouts.connectMs);
    if (!(dialed instanceof Error)) {
      upstream = dialed;
      if (!routed.route.preserveHost && !headers.has("host"))
        headers.add("Host", `${target.host}:${target.port}`);
      break;
    }
    const code = (dialed as Error & { code?: string }).code;
    if (code === "ECONNREFUSED") backend.markDown(target);
    if (++attempts >= 4 || (!backend.holds && code !== "ECONNREFUSED")) {
      return refuse(
        code === undefined ? { kind: "timeout", detail: dialed.message } : { kind: "refused", detail: code },
      );
    }
  }
  if (client.destroyed) {
    upstream.destroy();
    return log(499, 0);
  }

  upstream.write(head(req.method ?? "GET", routed.upstreamPath, headers));
  if (early.length > 0) upstream.write(early);
  let bytes = 0;
  upstream.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
  });
  upstream.pipe(client);
  client.pipe(upstream);
  const done = () => {
    upstream.destroy();
    client.destroy();
  };
  upstream.once("close", done);
  client.once("close", done);
  upstream.on("error", done);
  await new Promise<void>((resolve) => upstream.once("close", () => resolve()));
  log(101, bytes);
}
