// The one place where what went wrong becomes a status (DESIGN.md convention 6): 502 when the
// upstream refused or broke the exchange, 503 when nothing is ready (with Retry-After), 504 when
// it took too long. Bodies are small and plain, and carry the request id that is in the log.
import { type ServerResponse, STATUS_CODES } from "node:http";

export type ProxyFailure =
  | { kind: "refused"; detail: string }
  | { kind: "broken"; detail: string }
  | { kind: "timeout"; detail: string }
  | { kind: "none_ready"; detail: string; retryAfterS: number }
  | { kind: "stopping"; detail: string }
  | { kind: "no_site" }
  | { kind: "no_route" }
  | { kind: "bad_request"; detail: string; status: 400 | 505 };

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
    case "bad_request":
      return {
        status: failure.status,
        message: `bad request: ${failure.detail}`,
        headers: { Connection: "close" },
      };
  }
}

/** Sends `answer` unless a response head already went out; then the connection is cut instead. */
export function sendError(res: ServerResponse, answer: ErrorAnswer, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `${answer.status} ${answer.message}\nrequest id: ${requestId}\n`;
  // A request body not yet read (a 503 for a body too large to hold, a 502 before it was sent):
  // close rather than read and throw away what may be megabytes, for a connection's reuse.
  const unread = res.req !== undefined && !res.req.complete;
  res.writeHead(answer.status, {
    ...answer.headers,
    ...(unread ? { Connection: "close" } : {}),
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    "X-Request-Id": requestId,
    "Cache-Control": "no-store",
  });
  res.end(body);
}

/** `answer` as raw HTTP/1.1 bytes, for a socket that left node:http (an upgrade request). */
export function errorResponseText(answer: ErrorAnswer, requestId: string, head = false): string {
  const body = `${answer.status} ${answer.message}\nrequest id: ${requestId}\n`;
  let text = `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ""}\r\n`;
  for (const [name, value] of Object.entries(answer.headers)) {
    if (name !== "Connection") text += `${name}: ${value}\r\n`;
  }
  text += `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
  text += `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n`;
  return head ? text : text + body;
}
