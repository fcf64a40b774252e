// Upgrades (WebSocket and any other protocol switch): the request head goes through the same
// checks and passes as any request (Upgrade and Connection: upgrade kept) and is sent upstream
// with node:http's client. Only a 101 joins the two connections, after which bytes flow both ways
// with back-pressure until either side closes. Any other answer is relayed as a final response
// with `Connection: close`, and nothing more the client sends reaches the upstream.
import { type ClientRequest, type IncomingMessage, request } from "node:http";
import type { Socket } from "node:net";
import type { Backend } from "./backends.js";
import type { ListenerContext } from "./exchange.js";
import { type Exchange, logExchange, reportAnswer, reportExchange, startExchange } from "./exchange-log.js";
import type { IncomingRequest } from "./incoming-request.js";
import { endLingering } from "./lingering-close.js";
import { HeaderList } from "./passes/header-list.js";
import { applyResponsePasses } from "./passes/response-passes.js";
import { publicOrigin } from "./passes/reverse-rewrite.js";
import { errorAnswer, errorResponseText, type ProxyFailure } from "./proxy-error.js";
import { type RequestHead, readRequestHead } from "./request-head.js";
import { TargetChooser } from "./target-chooser.js";
import type { Target } from "./upstream.js";

type UpstreamOutcome =
  | { kind: "switched"; response: IncomingMessage; socket: Socket; head: Buffer }
  | { kind: "response"; response: IncomingMessage }
  | { kind: "failed"; failure: ProxyFailure; sent: boolean };

function timeoutError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** Sends the upgrade request to `target` and waits for its answer, within the route's timeouts. */
function askUpstream(
  target: Target,
  method: string,
  head: RequestHead,
  cancel: AbortSignal,
): Promise<UpstreamOutcome> {
  const { connectMs, responseHeaderMs } = head.route.config.timeouts;
  const headers = head.headers;
  if (!new HeaderList(headers).has("host")) headers.push("Host", `${target.host}:${target.port}`);
  return new Promise((resolve) => {
    let sent = false;
    const upstream: ClientRequest = request({
      host: target.host,
      port: target.port,
      method,
      path: head.path,
      headers,
      agent: false,
      setHost: false,
    });
    let timer = setTimeout(
      () => upstream.destroy(timeoutError("UND_ERR_CONNECT_TIMEOUT", "connecting took too long")),
      connectMs,
    );
    const onCancel = () => upstream.destroy(new Error("client closed the connection"));
    cancel.addEventListener("abort", onCancel, { once: true });
    const settle = (outcome: UpstreamOutcome) => {
      clearTimeout(timer);
      cancel.removeEventListener("abort", onCancel);
      resolve(outcome);
    };
    upstream.once("socket", (socket: Socket) => {
      socket.once("connect", () => {
        sent = true;
        clearTimeout(timer);
        timer = setTimeout(
          () => upstream.destroy(timeoutError("UND_ERR_HEADERS_TIMEOUT", "no response head in time")),
          responseHeaderMs,
        );
      });
    });
    upstream.once("upgrade", (response, socket: Socket, early: Buffer) =>
      settle({ kind: "switched", response, socket, head: early }),
    );
    upstream.once("response", (response) => settle({ kind: "response", response }));
    upstream.once("error", (error: Error & { code?: string }) => {
      const code = error.code ?? "";
      let failure: ProxyFailure;
      if (code === "UND_ERR_CONNECT_TIMEOUT" || code === "UND_ERR_HEADERS_TIMEOUT") {
        failure = { kind: "timeout", detail: error.message };
      } else if (!sent && (code === "ECONNREFUSED" || code === "ECONNRESET"))
        failure = { kind: "refused", detail: code };
      else failure = { kind: "broken", detail: code ? `${code}: ${error.message}` : error.message };
      settle({ kind: "failed", failure, sent });
    });
    upstream.end();
  });
}

/** A response head as raw text, for a connection that left HTTP. */
function responseHead(response: IncomingMessage, headers: HeaderList): string {
  let text = `HTTP/1.1 ${response.statusCode} ${response.statusMessage ?? ""}\r\n`;
  for (let i = 0; i < headers.size; i++) text += `${headers.name(i)}: ${headers.value(i)}\r\n`;
  return `${text}\r\n`;
}

function refuse(ctx: ListenerContext, x: Exchange, client: Socket, failure: ProxyFailure): void {
  const answer = errorAnswer(failure);
  reportAnswer(ctx, x, answer);
  endLingering(client, errorResponseText(answer, x.requestId, x.req.method === "HEAD"));
  logExchange(ctx, x, answer.status, 0);
}

export async function serveUpgrade(
  ctx: ListenerContext,
  req: IncomingRequest,
  client: Socket,
  early: Buffer,
) {
  const x = startExchange(req);
  client.on("error", () => {});
  // In flight until the protocol switches: an open WebSocket does not hold up a stop.
  let inFlight = true;
  ctx.inFlight.begin();
  const switched = () => {
    if (inFlight) ctx.inFlight.end();
    inFlight = false;
  };
  try {
    await tunnel(ctx, x, req, client, early, switched);
  } catch (error) {
    // A defect, not a condition: never take berth down for it.
    reportExchange(ctx, x, 500, `berth failed: ${(error as Error).stack ?? error}`);
    client.destroy();
  } finally {
    switched();
  }
}

async function tunnel(
  ctx: ListenerContext,
  x: Exchange,
  req: IncomingRequest,
  client: Socket,
  early: Buffer,
  switched: () => void,
) {
  const prepared = readRequestHead(ctx, req, x, true);
  if (!prepared.ok) return refuse(ctx, x, client, prepared.failure);
  const head = prepared.head;
  const backend = head.route.backend;
  const cancel = new AbortController();
  client.once("close", () => cancel.abort());
  const chooser = new TargetChooser(backend, 0, () => cancel.signal);
  for (;;) {
    const next = await chooser.next();
    if (next.kind === "cancelled") return logExchange(ctx, x, 499, 0);
    if (next.kind === "failure") return refuse(ctx, x, client, next.failure);
    const target = next.target;
    x.instance = target.instance;
    backend.acquire(target);
    let outcome: UpstreamOutcome;
    try {
      outcome = await askUpstream(target, req.method, head, cancel.signal);
      if (outcome.kind === "switched") {
        switched();
        return await join(ctx, x, client, early, outcome, head.route.config.timeouts.idleMs);
      }
      if (outcome.kind === "response")
        return await relay(ctx, x, client, head, backend, target, outcome.response);
    } finally {
      backend.release(target);
    }
    if (client.destroyed) return logExchange(ctx, x, 499, 0);
    // The upgrade request has no body: whatever the upstream did not see may go to another.
    if (!chooser.failed(target, outcome.failure, outcome.sent, !outcome.sent)) {
      return refuse(ctx, x, client, outcome.failure);
    }
  }
}

/** 101: the head goes to the client as sent, then bytes flow both ways until either side closes. */
async function join(
  ctx: ListenerContext,
  x: Exchange,
  client: Socket,
  early: Buffer,
  switched: Extract<UpstreamOutcome, { kind: "switched" }>,
  idleMs: number,
): Promise<void> {
  const { response, socket: upstream } = switched;
  const headers = new HeaderList([...response.rawHeaders]);
  client.write(responseHead(response, headers));
  if (switched.head.length > 0) client.write(switched.head);
  if (early.length > 0) upstream.write(early);
  let bytes = 0;
  upstream.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
  });
  const closed = new Promise<void>((resolve) => upstream.once("close", () => resolve()));
  const done = () => {
    upstream.destroy();
    client.destroy();
  };
  upstream.on("error", done);
  upstream.once("close", done);
  client.once("close", done);
  // One side finished sending (a half-close): the other gets the route's idle time to finish
  // too, so a peer that never does cannot keep the tunnel open for ever.
  let halfClosed: NodeJS.Timeout | undefined;
  const onEnd = () => {
    halfClosed ??= setTimeout(done, idleMs).unref();
  };
  upstream.once("end", onEnd);
  client.once("end", onEnd);
  upstream.once("close", () => clearTimeout(halfClosed));
  upstream.pipe(client);
  client.pipe(upstream);
  await closed;
  logExchange(ctx, x, 101, bytes);
}

/** Anything but 101: the upstream's final answer, relayed, and the connection closed after it. */
async function relay(
  ctx: ListenerContext,
  x: Exchange,
  client: Socket,
  head: RequestHead,
  backend: Backend,
  target: Target,
  response: IncomingMessage,
): Promise<void> {
  const headers = new HeaderList([...response.rawHeaders]);
  const rewrite = {
    upstream: backend.origins(target),
    publicOrigin: publicOrigin("http", head.publicHost),
    prefix: head.route.prefix,
  };
  applyResponsePasses(headers, rewrite, head.route.responseOps);
  headers.add("Connection", "close");
  client.write(responseHead(response, headers));
  let bytes = 0;
  response.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
  });
  await new Promise<void>((resolve) => {
    response.once("end", resolve);
    response.once("close", resolve);
    if (x.req.method === "HEAD") response.resume();
    else response.pipe(client, { end: false });
  });
  endLingering(client);
  response.socket?.destroy();
  logExchange(ctx, x, response.statusCode ?? 502, bytes);
}
