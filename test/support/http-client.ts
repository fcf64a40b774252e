// The proxy tests' HTTP client: one request on a connection of its own, with exactly the header
// fields the test gives (raw, in order, repeats kept), and the raw answer, so a test sees what berth did.
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";

export interface Reply {
  status: number;
  rawHeaders: string[];
  rawTrailers: string[];
  /** Read as latin1: one character a byte. */
  body: string;
  /** performance.now() of each body chunk's arrival, and of the request's start. */
  chunkTimes: number[];
  startedAt: number;
}

export interface SendOptions {
  method?: string;
  /** Sent as the first field, Host, when given; otherwise only a Host that `headers` has is sent. */
  host?: string;
  /** [name, value, name, value, …], sent as they are. */
  headers?: string[];
  body?: string;
  /** Where to connect: 127.0.0.1 unless given. */
  address?: string;
}

/** One request through node:http, with no agent (a fresh connection) and no Host added by node. */
export function send(
  port: number,
  path: string,
  { method = "GET", host, headers = [], body, address = "127.0.0.1" }: SendOptions = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const req = httpRequest(
      {
        host: address,
        port,
        path,
        method,
        headers: host === undefined ? headers : ["Host", host, ...headers],
        agent: false,
        setHost: false,
      },
      (res) => {
        let text = "";
        const chunkTimes: number[] = [];
        res.setEncoding("latin1");
        res.on("data", (chunk: string) => {
          chunkTimes.push(performance.now());
          text += chunk;
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode!,
            rawHeaders: res.rawHeaders,
            rawTrailers: res.rawTrailers,
            body: text,
            chunkTimes,
            startedAt,
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Every value of `name` (lower case) in a raw header or trailer list, in order. */
export function values(raw: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) out.push(raw[i + 1]!);
  return out;
}

/** What test/fixtures/http-echo.mjs says it received (its answer must be a 200). */
export function received(reply: Reply): { method: string; url: string; rawHeaders: string[]; body: string } {
  assert.equal(reply.status, 200, `expected the backend's echo, got ${reply.status}: ${reply.body}`);
  return JSON.parse(reply.body);
}
