// Issue 3, streaming, through a real berth and a real backend (test/fixtures/stream-server.mjs):
// bodies stream both ways as they are sent, with back-pressure, never buffered whole; server-sent
// events arrive one by one; chunked bodies, response trailers and 100-continue pass through; the
// upstream connections are kept alive and reused. The pace is set by the test (a request to
// /next releases the next event), not by timers.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Agent, type ClientRequest, request as httpRequest, type IncomingMessage } from "node:http";
import { connect } from "node:net";
import type { Readable } from "node:stream";
import { after, before, test } from "node:test";
import { freePort } from "../../src/lib/ports.js";
// @ts-expect-error: a plain .mjs fixture, without types
import { pattern } from "../fixtures/stream-pattern.mjs";
import { BerthProcess, fixture, proxyAndInstanceUp, writeConfig } from "../support/berth-process.js";

const MiB = 1024 * 1024;
const PROXY = await freePort();
let berth: BerthProcess;
let dir: string;
/** The backend's own port, for talking to it past the proxy (/stats, /resume). */
let backendPort: number;

before(async () => {
  const config = writeConfig(`
state_dir: state
services:
  web:
    command: ${fixture("stream-server.mjs")}
    port: auto
    ready: { http: /healthz }
sites:
  - listen: 127.0.0.1:${PROXY}
    routes:
      - path: /
        service: web
`);
  dir = config.dir;
  berth = BerthProcess.up(config.file);
  backendPort = await proxyAndInstanceUp(berth, "web#1");
});

after(async () => {
  await berth.stop();
  const { rmSync } = await import("node:fs");
  rmSync(dir, { recursive: true, force: true });
});

/** A response whose body is collected as it arrives, so a test can wait for a part of it. */
class Incoming {
  readonly res: IncomingMessage;
  body = Buffer.alloc(0);
  ended = false;
  readonly #waiters: (() => void)[] = [];

  constructor(res: IncomingMessage) {
    this.res = res;
    res.on("data", (chunk: Buffer) => {
      this.body = Buffer.concat([this.body, chunk]);
      this.#wake();
    });
    res.on("end", () => {
      this.ended = true;
      this.#wake();
    });
    res.on("error", () => this.#wake());
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Waits until `condition` holds of what arrived; fails after timeoutMs saying what did arrive. */
  async until(condition: (text: string) => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!condition(this.body.toString("latin1"))) {
      if (this.ended) throw new Error(`the response ended before ${what}; it was: ${this.body}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`not within ${timeoutMs} ms: ${what}; arrived: ${this.body}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** The response head, or a failure after timeoutMs (a head that never comes is a finding too). */
function responseOf(req: ClientRequest, timeoutMs = 5000): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no response head within ${timeoutMs} ms`)), timeoutMs);
    req.once("response", (res) => {
      clearTimeout(timer);
      resolve(res);
    });
    req.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function open(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; agent?: Agent | false } = {},
): ClientRequest {
  return httpRequest({
    host: "127.0.0.1",
    port,
    path,
    method: options.method ?? "GET",
    headers: options.headers ?? {},
    agent: options.agent ?? false,
  });
}

async function get(port: number, path: string, agent: Agent | false = false) {
  const res = await responseOf(open(port, path, { agent }).end());
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() };
}

async function json(port: number, path: string) {
  const reply = await get(port, path);
  assert.equal(reply.status, 200, reply.body);
  return JSON.parse(reply.body);
}

/**
 * Writes `total` bytes of pattern() to `req`, respecting back-pressure; `progress.sent` counts what
 * the socket accepted so far. Resolves when all is written.
 */
function upload(req: ClientRequest, total: number, progress: { sent: number }, chunk = 256 * 1024) {
  return new Promise<void>((resolve, reject) => {
    req.once("error", reject);
    const more = () => {
      while (progress.sent < total) {
        const n = Math.min(chunk, total - progress.sent);
        const ok = req.write(pattern(progress.sent, n));
        progress.sent += n;
        if (!ok) return void req.once("drain", more);
      }
      req.end(resolve);
    };
    more();
  });
}

function sha256OfPattern(total: number): string {
  const hash = createHash("sha256");
  for (let offset = 0; offset < total; offset += MiB)
    hash.update(pattern(offset, Math.min(MiB, total - offset)));
  return hash.digest("hex");
}

/**
 * Resolves with the value once `read()` has not changed for `quietMs` (a flow that stopped: the
 * point of a back-pressure test). Fails if it keeps changing for timeoutMs.
 */
async function settled(
  read: () => number | Promise<number>,
  quietMs = 400,
  timeoutMs = 15_000,
): Promise<number> {
  const start = performance.now();
  let value = await read();
  let since = performance.now();
  while (performance.now() - since < quietMs) {
    if (performance.now() - start > timeoutMs)
      throw new Error(`still moving after ${timeoutMs} ms: ${value}`);
    await new Promise((r) => setTimeout(r, 50));
    const next = await read();
    if (next !== value) {
      value = next;
      since = performance.now();
    }
  }
  return value;
}

test("server-sent events arrive one by one, each as the backend sends it", { timeout: 30_000 }, async () => {
  const req = open(PROXY, "/sse", { headers: { Accept: "text/event-stream" } }).end();
  const res = await responseOf(req);
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers["content-type"], "text/event-stream");
  const stream = new Incoming(res);
  try {
    for (let i = 0; i < 5; i++) {
      // Nothing more arrives until the test asks the backend for the next event.
      const { event, streams } = await json(PROXY, "/next");
      assert.equal(streams, 1, "the SSE stream is open at the backend");
      await stream.until((t) => t.includes(`data: event ${event}\n\n`), `event ${event} arrives`);
      assert.ok(!stream.body.toString().includes(`event ${event + 1}`));
    }
  } finally {
    req.destroy();
  }
});

test("a request body streams to the backend while its response streams back (full duplex)", {
  timeout: 30_000,
}, async () => {
  const req = open(PROXY, "/echo", {
    method: "POST",
    headers: { "Content-Type": "application/octet-stream", "Transfer-Encoding": "chunked" },
  });
  // undici sends the request head upstream with the first body bytes: the first piece goes out
  // before any response can come back.
  req.write("piece 1;");
  const res = await responseOf(req);
  assert.equal(res.statusCode, 200);
  const stream = new Incoming(res);
  let expected = "piece 1;";
  await stream.until((t) => t === expected, "piece 1 echoed back");
  for (let i = 2; i <= 5; i++) {
    const piece = `piece ${i};`;
    req.write(piece);
    expected += piece;
    // The piece went through the proxy to the backend and back while the request is still open.
    await stream.until((t) => t === expected, `piece ${i} echoed back`);
  }
  req.end();
  await stream.until(() => stream.ended, "the end");
  assert.equal(stream.body.toString(), expected);
});

for (const framing of ["chunked", "content-length"] as const) {
  test(`a 64 MiB upload (${framing}) arrives whole and in order`, { timeout: 60_000 }, async () => {
    const total = 64 * MiB;
    const headers: Record<string, string> =
      framing === "chunked" ? { "Transfer-Encoding": "chunked" } : { "Content-Length": String(total) };
    const req = open(PROXY, "/hash", { method: "POST", headers });
    const replied = responseOf(req, 50_000);
    await upload(req, total, { sent: 0 });
    const res = await replied;
    let text = "";
    for await (const chunk of res) text += chunk;
    assert.equal(res.statusCode, 200, text);
    const got = JSON.parse(text);
    assert.equal(got.bytes, total);
    assert.equal(got.sha256, sha256OfPattern(total));
    if (framing === "chunked") assert.equal(got.transferEncoding, "chunked");
    else assert.equal(got.contentLength, String(total));
  });
}

test("an upload the backend does not read stops the client, and resumes whole", {
  timeout: 60_000,
}, async () => {
  const total = 256 * MiB;
  const before = (await json(backendPort, "/stats")).uploadRead;
  const req = open(PROXY, "/hash?paused", { method: "POST", headers: { "Content-Length": String(total) } });
  const replied = responseOf(req, 50_000);
  const progress = { sent: 0 };
  const sending = upload(req, total, progress);
  await berth.waitFor(/^web#1\s+\| upload paused$/, { after: berth.lines.at(-1) });
  // The client is held back: what it sent stops growing, far short of the whole body (a proxy
  // that buffered the body would have taken all 256 MiB).
  const stalled = await settled(() => progress.sent);
  assert.ok(
    stalled < 64 * MiB,
    `the client got to send ${(stalled / MiB).toFixed(1)} MiB to a paused backend`,
  );
  assert.equal((await json(backendPort, "/stats")).uploadRead, before, "the backend has read nothing yet");

  await json(backendPort, "/resume");
  await sending;
  const res = await replied;
  let text = "";
  for await (const chunk of res) text += chunk;
  const got = JSON.parse(text);
  assert.equal(got.bytes, total);
  assert.equal(got.sha256, sha256OfPattern(total));
});

test("a download the client does not read stops the backend, and resumes whole", {
  timeout: 60_000,
}, async () => {
  const total = 256 * MiB;
  const before = (await json(backendPort, "/stats")).downloadWritten;
  const res = await responseOf(open(PROXY, `/download?bytes=${total}`).end());
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers["content-length"], String(total));
  res.pause();
  // The backend is held back: what it wrote stops growing, far short of the whole body.
  const written = (await settled(async () => (await json(backendPort, "/stats")).downloadWritten)) - before;
  assert.ok(
    written < 64 * MiB,
    `the backend got to write ${(written / MiB).toFixed(1)} MiB to a paused client`,
  );

  let offset = 0;
  let mismatch = -1;
  for await (const chunk of res as Readable) {
    const buf = chunk as Buffer;
    if (mismatch < 0 && !buf.equals(pattern(offset, buf.length))) mismatch = offset;
    offset += buf.length;
  }
  assert.equal(offset, total);
  assert.equal(mismatch, -1, `the download differs from what was sent at or after byte ${mismatch}`);
});

test("a chunked response's trailers reach the client", { timeout: 30_000 }, async () => {
  const total = 3 * MiB + 17;
  const res = await responseOf(
    open(PROXY, `/trailers?bytes=${total}`, { headers: { TE: "trailers" } }).end(),
  );
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers["transfer-encoding"], "chunked");
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of res) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  assert.equal(bytes, total);
  assert.deepEqual(res.trailers, { "x-sha256": hash.digest("hex"), "x-bytes": String(total) });
});

test("Expect: 100-continue is answered before the body is sent, and the body then arrives", {
  timeout: 30_000,
}, async () => {
  const body = pattern(0, 100_000);
  const socket = connect(PROXY, "127.0.0.1");
  let text = "";
  const waiters: (() => void)[] = [];
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => {
    text += chunk;
    for (const w of waiters.splice(0)) w();
  });
  const until = async (condition: () => boolean, what: string) => {
    const deadline = performance.now() + 5000;
    while (!condition()) {
      if (performance.now() > deadline) throw new Error(`not within 5 s: ${what}; got: ${text}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };
  try {
    socket.write(
      `POST /hash HTTP/1.1\r\nHost: example.test\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`,
    );
    await until(() => text.includes("\r\n\r\n"), "an interim response");
    assert.match(text, /^HTTP\/1\.1 100 Continue\r\n\r\n$/);
    socket.write(body);
    const interim = text.length;
    await until(() => text.length > interim && text.endsWith("}\n"), "the final response");
    const final = text.slice(interim);
    assert.match(final, /^HTTP\/1\.1 200 OK\r\n/);
    const got = JSON.parse(final.slice(final.indexOf("\r\n\r\n") + 4));
    assert.equal(got.bytes, body.length);
    assert.equal(got.sha256, createHash("sha256").update(body).digest("hex"));
  } finally {
    socket.destroy();
  }
});

test("connections to the backend are kept alive and reused across client connections", {
  timeout: 30_000,
}, async () => {
  const before = (await json(backendPort, "/stats")).connections;
  // 100 requests, each on a new client connection, one after the other.
  for (let i = 0; i < 100; i++) {
    const reply = await get(PROXY, "/hello");
    assert.equal(reply.status, 200);
  }
  // 50 more on one kept-alive client connection.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < 50; i++) assert.equal((await get(PROXY, "/hello", agent)).status, 200);
  } finally {
    agent.destroy();
  }
  const opened = (await json(backendPort, "/stats")).connections - before;
  // Our own /stats requests go straight to the backend: one connection each (2); the rest is the proxy's.
  assert.ok(opened - 1 <= 3, `150 requests took ${opened - 1} new upstream connections`);
});
