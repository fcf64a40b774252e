// The one place where what went wrong becomes a status (DESIGN.md convention 6): 502 when the
// upstream refused or broke the exchange, 503 when nothing is ready (with Retry-After), 504 when
// it took too long. Bodies are small and plain, and carry the request id that is in the log.
import { STATUS_CODES } from "node:http";
import type { ClientResponse } from "./client-response.js";
import type { HoldOutcome } from "./hold-queue.js";

export type ProxyFailure =
  | { kind: "refused"; detail: string }
  | { kind: "broken"; detail: string }
  | { kind: "timeout"; detail: string }
  | { kind: "none_ready"; detail: string; retryAfterS: number }
  | { kind: "stopping"; detail: string }
  | { kind: "no_site" }
  | { kind: "no_route" }
  | { kind: "bad_request"; detail: string; status: 400 | 408 | 417 | 431 | 505 }
  | { kind: "not_implemented"; detail: string };

export interface ErrorAnswer {
  status: number;
  /** One line for the client, and for berth's log. */
  message: string;
  headers: Record<string, string>;
}

export function errorAnswer(failure: ProxyFailure): ErrorAnswer {
  switch (failure.kind) {
    case "refused":
      return { status: 502, message: `upstream refused the connection (${failure.detail})`, headers: {} };
    case "broken":
      return { status: 502, message: `upstream failed: ${failure.detail}`, headers: {} };
    case "timeout":
      return { status: 504, message: `upstream timed out: ${failure.detail}`, headers: {} };
    case "none_ready":
      return {
        status: 503,
        message: `no instance is ready: ${failure.detail}`,
        headers: { "Retry-After": String(failure.retryAfterS) },
      };
    case "stopping":
      return {
        status: 503,
        message: `berth is stopping: ${failure.detail}`,
        headers: { "Retry-After": "5", Connection: "close" },
      };
    case "no_site":
      return { status: 404, message: "no site here answers this host", headers: {} };
    case "no_route":
      return { status: 404, message: "no route for this path", headers: {} };
    case "not_implemented":
      return { status: 501, message: `not supported: ${failure.detail}`, headers: { Connection: "close" } };
    case "bad_request":
      return {
        status: failure.status,
        message: `${STATUS_CODES[failure.status]!.toLowerCase()}: ${failure.detail}`,
        headers: { Connection: "close" },
      };
  }
}

export function errorBody(answer: ErrorAnswer, requestId: string): string {
  return `${answer.status} ${answer.message}\nrequest id: ${requestId}\n`;
}

/**
 * Sends `answer` unless a response head already went out; then the connection is cut instead.
 * Returns the body bytes sent.
 */
export function sendError(res: ClientResponse, answer: ErrorAnswer, requestId: string): number {
  if (res.headersSent) {
    res.destroy();
    return 0;
  }
  const body = errorBody(answer, requestId);
  // A request body not yet read (a 503 for a body too large to hold, a 502 before it was sent):
  // close rather than read and throw away what may be megabytes, for a connection's reuse.
  const unread = res.req.body !== null && !res.req.complete;
  const bytes = Buffer.byteLength(body);
  const headers: string[] = [];
  for (const [name, value] of Object.entries(answer.headers)) headers.push(name, value);
  if (unread) headers.push("Connection", "close");
  headers.push(
    "Content-Type",
    "text/plain; charset=utf-8",
    "Content-Length",
    String(bytes),
    "X-Request-Id",
    requestId,
    "Cache-Control",
    "no-store",
  );
  res.writeHead(answer.status, undefined, headers);
  res.end(body);
  return bytes;
}

/** `answer` as raw HTTP/1.1 bytes, for a connection that ends after it (no exchange, an upgrade). */
export function errorResponseText(answer: ErrorAnswer, requestId: string, head = false): string {
  const body = errorBody(answer, requestId);
  let text = `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ""}\r\n`;
  for (const [name, value] of Object.entries(answer.headers)) {
    if (name !== "Connection") text += `${name}: ${value}\r\n`;
  }
  text += `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
  text += `X-Request-Id: ${requestId}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n`;
  return head ? text : text + body;
}

/** What a wait in the HoldQueue that did not end in `released` means for the client. */
export function holdFailure(
  outcome: Exclude<HoldOutcome, "released" | "cancelled">,
  label: string,
): ProxyFailure {
  if (outcome === "closed") return { kind: "stopping", detail: "no new requests are forwarded" };
  return {
    kind: "none_ready",
    detail:
      outcome === "full" ? `too many requests wait for ${label}` : `${label} did not become ready in time`,
    retryAfterS: 5,
  };
}

/** The failure a client connection's error `code` (llhttp's HPE_…, or a timeout) means. */
export function clientErrorFailure(code: string | undefined): ProxyFailure {
  if (code === "HPE_HEADER_OVERFLOW")
    return { kind: "bad_request", detail: "request head too large", status: 431 };
  if (code === "ERR_HTTP_REQUEST_TIMEOUT")
    return { kind: "bad_request", detail: "request took too long", status: 408 };
  return { kind: "bad_request", detail: "malformed request", status: 400 };
}
