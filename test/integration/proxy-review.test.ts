// Defects a review of the proxy found, each reproduced through a real berth with real sockets:
// an upgrade answered without 101 must not become a tunnel; 1xx answers other than 101 must not
// break the response; absolute-form, max_headers and response_header apply to upgrades too; a
// broken chunked body is the client's fault (400), not the upstream's (502); CONNECT gets an
// answer; framing and routing trailers are not relayed; garbage after a request closes the
// connection; a `url:` request in flight when berth stops still completes.
// Backend: test/fixtures/http-review.mjs (it never answers 101).
import assert from "node:assert/strict";
import { once } from "node:events";
import { rmSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { freePort } from "../../src/lib/ports.js";
import { AccessLog } from "../support/access-log.js";
import {
  BerthProcess,
  escapeRegExp,
  fixture,
  instanceSays,
  proxyAndInstanceUp,
  writeConfig,
} from "../support/berth-process.js";

const PORT = await freePort();
let berth: BerthProcess;
let dir: string;
let backendPort: number;
let accessLog: AccessLog;
/** A server berth does not run, for the `url:` route: answers 1.5 s after a request arrives. */
let external: Server;
let externalGot: (() => void) | undefined;
const EXTERNAL_BODY = `slow external answer ${"z".repeat(10_000)}`;

before(async () => {
  external = createServer((req, res) => {
    req.resume();
    externalGot?.();
    setTimeout(() => {
      res.writeHead(200, {
        "Content-Type": "text/plain",
        "Content-Length": Buffer.byteLength(EXTERNAL_BODY),
      });
      res.end(EXTERNAL_BODY);
    }, 1500);
  });
  external.listen(0, "127.0.0.1");
  await once(external, "listening");
  const externalPort = (external.address() as AddressInfo).port;

  const site = (name: string) => `headers: { request: { set: { X-Site: ${name} } } }`;
  const config = writeConfig(`
state_dir: state
services:
  review:
    command: ${fixture("http-review.mjs")}
    port: auto
    ready: { http: /healthz }
sites:
  - listen: "127.0.0.1:${PORT}"
    hosts: [example.test]
    default: true
    routes:
      - { path: /, service: review, ${site("example")} }
      - { path: /hang, service: review, timeouts: { response_header: 500ms } }
      - { path: /ext, url: "http://127.0.0.1:${externalPort}" }
  - listen: "127.0.0.1:${PORT}"
    hosts: [public.test]
    routes:
      - { path: /, service: review, ${site("public")} }
  - listen: "127.0.0.1:${PORT}"
    hosts: [other.test]
    routes:
      - { path: /, service: review, ${site("other")} }
`);
  dir = config.dir;
  accessLog = new AccessLog(join(dir, "state"));
  berth = BerthProcess.up(config.file);
  backendPort = await proxyAndInstanceUp(berth, "review#1");
});

after(async () => {
  await berth?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  external?.closeAllConnections();
  external?.close();
});

/** What the backend saw (targets and Host), asked of it directly, not through berth. */
function seen(): Promise<{ url: string; host: string | null }[]> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port: backendPort, path: "/__seen", agent: false },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve(JSON.parse(text)));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

async function seenCount(target: string): Promise<number> {
  return (await seen()).filter((s) => s.url === target).length;
}

interface Response {
  status: number;
  /** Lower-cased names. */
  headers: Map<string, string[]>;
  /** Decoded (chunked framing removed). */
  body: string;
  trailers: Map<string, string[]>;
  /** Statuses of the 1xx responses before this one (101 excluded). */
  informational: number[];
}

function parseFields(lines: string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    map.set(name, [...(map.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return map;
}

/**
 * A raw client connection that parses responses off it one at a time, so a test can read an
 * answer on a connection berth (wrongly) keeps open, and then write more on the same socket.
 */
class Conn {
  readonly socket: Socket;
  text = "";
  #at = 0;
  closed = false;
  closedAt: number | undefined;
  readonly whenClosed: Promise<void>;
  #wake: (() => void) | undefined;

  constructor(port = PORT) {
    this.socket = connect(port, "127.0.0.1");
    this.socket.setEncoding("latin1");
    this.socket.on("data", (chunk: string) => {
      this.text += chunk;
      this.#wake?.();
    });
    this.socket.on("error", () => {});
    this.whenClosed = new Promise((resolve) =>
      this.socket.on("close", () => {
        this.closed = true;
        this.closedAt = performance.now();
        this.#wake?.();
        resolve();
      }),
    );
  }

  write(bytes: string): void {
    if (!this.socket.destroyed) this.socket.write(bytes, "latin1");
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Waits (at most timeoutMs) until `ready()` returns something or the connection closes. */
  async #until<T>(ready: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const value = ready();
      if (value !== undefined) return value;
      if (this.closed)
        throw new Error(`connection closed before ${what}; received ${JSON.stringify(this.text)}`);
      const left = deadline - performance.now();
      if (left <= 0)
        throw new Error(`no ${what} within ${timeoutMs} ms; received ${JSON.stringify(this.text)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** The next whole response (1xx other than 101 skipped and listed). */
  response(timeoutMs = 5000): Promise<Response> {
    const informational: number[] = [];
    return this.#until(
      () => {
        for (;;) {
          const parsed = this.#parse(this.#at);
          if (!parsed) return undefined;
          if (
            parsed.response.status >= 100 &&
            parsed.response.status < 200 &&
            parsed.response.status !== 101
          ) {
            informational.push(parsed.response.status);
            this.#at = parsed.end;
            continue;
          }
          this.#at = parsed.end;
          return { ...parsed.response, informational };
        }
      },
      timeoutMs,
      "whole response",
    );
  }

  /** Resolves once berth closed the connection; fails after timeoutMs. */
  async close(timeoutMs: number): Promise<void> {
    await this.#until(() => (this.closed ? true : undefined), timeoutMs, "close").catch((error: Error) => {
      if (!this.closed)
        throw new Error(`the connection is still open after ${timeoutMs} ms: ${error.message}`);
    });
  }

  #parse(from: number): { response: Omit<Response, "informational">; end: number } | undefined {
    const text = this.text;
    const headEnd = text.indexOf("\r\n\r\n", from);
    if (headEnd < 0) return undefined;
    const [statusLine, ...fieldLines] = text.slice(from, headEnd).split("\r\n");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1]);
    assert.ok(status, `not a status line: ${JSON.stringify(statusLine)}`);
    const headers = parseFields(fieldLines);
    let at = headEnd + 4;
    const noBody = status < 200 || status === 204 || status === 304;
    if (noBody) return { response: { status, headers, body: "", trailers: new Map() }, end: at };
    if ((headers.get("transfer-encoding") ?? []).join(",").toLowerCase().includes("chunked")) {
      let body = "";
      for (;;) {
        const lineEnd = text.indexOf("\r\n", at);
        if (lineEnd < 0) return undefined;
        const size = Number.parseInt(text.slice(at, lineEnd), 16);
        if (size === 0) {
          // lineEnd itself when there is no trailer.
          const trailerEnd = text.indexOf("\r\n\r\n", lineEnd);
          if (trailerEnd < 0) return undefined;
          const trailerText = text.slice(lineEnd + 2, trailerEnd);
          const trailers = parseFields(trailerText ? trailerText.split("\r\n") : []);
          return { response: { status, headers, body, trailers }, end: trailerEnd + 4 };
        }
        if (text.length < lineEnd + 2 + size + 2) return undefined;
        body += text.slice(lineEnd + 2, lineEnd + 2 + size);
        at = lineEnd + 2 + size + 2;
      }
    }
    const length = headers.get("content-length")?.[0];
    if (length !== undefined) {
      const n = Number(length);
      if (text.length < at + n) return undefined;
      return {
        response: { status, headers, body: text.slice(at, at + n), trailers: new Map() },
        end: at + n,
      };
    }
    // Delimited by the connection's end.
    if (!this.closed) return undefined;
    return { response: { status, headers, body: text.slice(at), trailers: new Map() }, end: text.length };
  }
}

const upgradeHead = (target: string, host = "example.test") =>
  `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: upgrade\r\n` +
  "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

describe("upgrades", () => {
  test("an upgrade answered 200 (not 101) is a plain response: Connection: close, then closed; nothing after it is forwarded", async () => {
    const conn = new Conn();
    try {
      conn.write(`${upgradeHead("/no-switch")}\r\n`);
      const first = await conn.response();
      assert.equal(first.status, 200);
      assert.equal(JSON.parse(first.body).url, "/no-switch");
      // What a client writes next must not be tunnelled to the backend (checked first: the worst).
      conn.write(
        "GET /smuggled-after-upgrade HTTP/1.1\r\nHost: internal\r\nX-Forwarded-For: 10.9.9.9\r\n\r\n",
      );
      const closed = conn.close(3000);
      await closed.catch(() => {});
      assert.equal(
        await seenCount("/smuggled-after-upgrade"),
        0,
        `the request written after the 200 reached the backend; client received ${JSON.stringify(conn.text)}`,
      );
      assert.deepEqual(
        (first.headers.get("connection") ?? []).map((v) => v.toLowerCase()),
        ["close"],
        "the 200 says Connection: close",
      );
      await closed;
      const line = await accessLog.lineFor("GET /no-switch");
      assert.match(line, / "GET \/no-switch" 200 /, line);
    } finally {
      conn.destroy();
    }
  });

  test("absolute-form upgrade is routed by the target's host, and the backend sees that Host (as a plain absolute-form request does)", async () => {
    for (const upgrade of [false, true]) {
      const target = upgrade ? "/abs/upgrade" : "/abs/plain";
      const conn = new Conn();
      try {
        const head = upgrade
          ? upgradeHead(`http://public.test${target}`, "other.test")
          : `GET http://public.test${target} HTTP/1.1\r\nHost: other.test\r\n`;
        conn.write(`${head}\r\n`);
        const reply = await conn.response();
        assert.equal(reply.status, 200, `${target}: ${reply.body}`);
        const echo = JSON.parse(reply.body);
        assert.equal(echo.headers["x-site"], "public", `${target}: routed to site ${echo.headers["x-site"]}`);
        assert.equal(
          echo.headers.host,
          "public.test",
          `${target}: the backend saw Host ${echo.headers.host}`,
        );
      } finally {
        conn.destroy();
      }
    }
  });

  test("an upgrade with more than 100 header fields gets 431 and is not forwarded", async () => {
    const fields = Array.from({ length: 120 }, (_, i) => `X-H${i}: ${i}\r\n`).join("");
    const conn = new Conn();
    try {
      conn.write(`${upgradeHead("/many-fields")}${fields}\r\n`);
      const reply = await conn.response();
      assert.equal(reply.status, 431, reply.body);
      assert.equal(await seenCount("/many-fields"), 0, "the backend got the request");
    } finally {
      conn.destroy();
    }
  });

  test("an upgrade the backend takes but never answers gets 504 after response_header", async () => {
    const conn = new Conn();
    try {
      const started = performance.now();
      conn.write(`${upgradeHead("/hang/upgrade")}\r\n`);
      const reply = await conn.response(6000);
      const took = performance.now() - started;
      assert.equal(reply.status, 504, reply.body);
      assert.ok(took < 4000, `answered after ${took.toFixed(0)} ms (response_header: 500ms)`);
      assert.equal(await seenCount("/hang/upgrade"), 1, "the backend did get the request");
    } finally {
      conn.destroy();
    }
  });
});

describe("responses", () => {
  for (const [path, body, allowed] of [
    ["/early", "after early hints\n", [103]],
    ["/processing", "after 102\n", []],
  ] as const) {
    test(`a 1xx other than 101 before the answer (${path}) does not break it`, async () => {
      const conn = new Conn();
      try {
        conn.write(`GET ${path} HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n`);
        const reply = await conn.response();
        assert.equal(reply.status, 200, `${path}: ${reply.body}`);
        assert.equal(reply.body, body);
        for (const status of reply.informational)
          assert.ok((allowed as readonly number[]).includes(status), `${path}: berth passed on a ${status}`);
        assert.equal(await seenCount(path), 1, `${path} reached the backend once`);
        assert.match(await accessLog.lineFor(`GET ${path}`), new RegExp(` "GET ${escapeRegExp(path)}" 200 `));
      } finally {
        conn.destroy();
      }
    });
  }

  test("of the trailers Set-Cookie, Location, Content-Type and X-Checksum, only X-Checksum reaches the client", async () => {
    const conn = new Conn();
    try {
      conn.write("GET /trailers HTTP/1.1\r\nHost: example.test\r\nTE: trailers\r\nConnection: close\r\n\r\n");
      const reply = await conn.response();
      assert.equal(reply.status, 200);
      assert.equal(reply.body, "data");
      assert.deepEqual([...reply.trailers.keys()], ["x-checksum"]);
      assert.deepEqual(reply.trailers.get("x-checksum"), ["abc123"]);
      assert.deepEqual(reply.headers.get("content-type"), ["text/plain"]);
    } finally {
      conn.destroy();
    }
  });
});

describe("client errors", () => {
  test("a chunked body whose second chunk size is invalid gets 400, logged as 400, not 502", async () => {
    const conn = new Conn();
    try {
      conn.write(
        "POST /body/bad-chunk HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
      );
      // The head went on to the backend before the body broke.
      await berth.waitFor(instanceSays("review#1", "request POST /body/bad-chunk$"));
      conn.write("zz\r\nbad\r\n");
      const reply = await conn.response();
      assert.equal(reply.status, 400, reply.body);
      const line = await accessLog.lineFor("POST /body/bad-chunk");
      assert.match(line, / "POST \/body\/bad-chunk" 400 /, line);
      assert.deepEqual(
        berth.matching(/\b502\b.*\/body\/bad-chunk/).map((l) => l.text),
        [],
        "berth logged a 502 for it",
      );
    } finally {
      conn.destroy();
    }
  });

  test("garbage after a whole request: the request's response arrives whole, then the connection is closed", async () => {
    const conn = new Conn();
    try {
      conn.write("GET /slow HTTP/1.1\r\nHost: example.test\r\n\r\nNOT A REQUEST\r\n\r\n");
      const reply = await conn.response();
      assert.equal(reply.status, 200);
      assert.equal(reply.body, "partrest");
      const answeredAt = performance.now();
      await conn.close(2500);
      assert.ok(conn.closedAt! - answeredAt < 2500);
    } finally {
      conn.destroy();
    }
  });

  test("CONNECT gets 405 or 501 with a request id, and an access log line", async () => {
    const conn = new Conn();
    try {
      conn.write("CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n");
      const reply = await conn.response();
      assert.ok([405, 501].includes(reply.status), `answered ${reply.status}: ${JSON.stringify(conn.text)}`);
      const id = /^request id: (\S+)$/m.exec(reply.body)?.[1];
      assert.ok(id, `no request id in ${JSON.stringify(reply.body)}`);
      assert.deepEqual(reply.headers.get("x-request-id"), [id]);
      const line = await accessLog.line(id);
      assert.match(line, new RegExp(` "CONNECT 127\\.0\\.0\\.1:1" ${reply.status} `));
    } finally {
      conn.destroy();
    }
  });

  test("a body with a transfer coding besides chunked (gzip, chunked) gets 501 and is not forwarded", async () => {
    const conn = new Conn();
    try {
      conn.write(
        "POST /body/gzip-chunked HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
      );
      const reply = await conn.response();
      assert.equal(reply.status, 501, JSON.stringify(conn.text));
      assert.equal(await seenCount("/body/gzip-chunked"), 0);
    } finally {
      conn.destroy();
    }
  });
});

// Last: it stops berth.
describe("stopping", () => {
  test("a url: request in flight when berth is told to stop gets its whole response, then berth exits 0", async () => {
    const arrived = new Promise<void>((resolve) => {
      externalGot = resolve;
    });
    const reply = new Promise<{ status: number; body: string; complete: boolean }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port: PORT,
          path: "/ext/in-flight",
          agent: false,
          headers: { Host: "example.test" },
        },
        (res) => {
          let body = "";
          res.setEncoding("latin1");
          res.on("data", (chunk: string) => {
            body += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode!, body, complete: res.complete }));
          res.on("error", (error) =>
            resolve({ status: res.statusCode!, body: `${body} [${error.message}]`, complete: false }),
          );
        },
      );
      req.on("error", reject);
      req.end();
    });
    await arrived;
    berth.signal("SIGTERM");
    const got = await reply;
    assert.equal(got.status, 200);
    assert.ok(got.complete, "the response was cut");
    assert.equal(got.body, EXTERNAL_BODY);
    const { code } = await berth.waitForExit(10_000);
    assert.equal(code, 0, berth.output);
  });
});
