// What every request leaves behind, however it was served (forwarded, tunnelled, refused by the
// server itself): one access log line, and for an error berth made itself, a line in berth's log.
import type { AccessLog } from "./access-log.js";
import type { IncomingRequest } from "./incoming-request.js";
import type { ErrorAnswer } from "./proxy-error.js";
import { nextRequestId } from "./request-id.js";

export interface ExchangeLogContext {
  accessLog: AccessLog | undefined;
  /** berth's own log. */
  report: (message: string) => void;
}

/** One request as the logs see it. */
export interface Exchange {
  req: IncomingRequest;
  t0: number;
  client: string;
  /** The Host (or absolute-form authority) the request was routed by; "" before routing. */
  host: string;
  requestId: string;
  /** "web#1", a url's host:port, or "-" while none was reached. */
  instance: string;
}

export function startExchange(req: IncomingRequest): Exchange {
  return {
    req,
    t0: performance.now(),
    client: req.peer.client,
    host: "",
    requestId: nextRequestId(),
    instance: "-",
  };
}

export function logExchange(ctx: ExchangeLogContext, x: Exchange, status: number, bytes: number): void {
  ctx.accessLog?.write({
    // Written when the exchange ends (as nginx does), so the file is in time order.
    at: Date.now(),
    client: x.client,
    host: x.host,
    method: x.req.method,
    target: x.req.url,
    status,
    bytes,
    instance: x.instance,
    durationMs: performance.now() - x.t0,
    requestId: x.requestId,
  });
}

/** A 5xx berth answered itself, or a response cut short, is worth a line in berth's own log. */
export function reportExchange(ctx: ExchangeLogContext, x: Exchange, status: number, message: string): void {
  ctx.report(
    `${status} ${x.req.method} ${x.host}${x.req.url} (${x.instance}): ${message} [request ${x.requestId}]`,
  );
}

export function reportAnswer(ctx: ExchangeLogContext, x: Exchange, answer: ErrorAnswer): void {
  if (answer.status >= 500) reportExchange(ctx, x, answer.status, answer.message);
}
