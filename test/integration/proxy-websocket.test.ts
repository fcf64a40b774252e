// Issue 3, upgrades, through a real berth and a hand-written WebSocket backend
// (test/fixtures/stream-ws.mjs): the handshake and messages of every length class pass both
// ways; closes pass both ways; bytes sent with the handshake are not lost; a refused upgrade is
// the backend's own answer; the tunnel keeps back-pressure; an upgrade that comes while the only
// instance restarts waits for it instead of failing.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { after, before, test } from "node:test";
import { WebSocket } from "undici";
import { freePort } from "../../src/lib/ports.js";
import {
  BerthProcess,
  berthSays,
  fixture,
  instanceSays,
  proxyAndInstanceUp,
  writeConfig,
} from "../support/berth-process.js";
import { pidIn } from "../support/proc.js";

const MiB = 1024 * 1024;
const PROXY = await freePort();
let berth: BerthProcess;
let dir: string;
let backendPort: number;

const STARTED = berthSays("ws#1", "started \\(pid \\d+, port \\d+");
const READY = berthSays("ws#1", "ready in ");

before(async () => {
  const config = writeConfig(`
state_dir: state
services:
  ws:
    command: ${fixture("stream-ws.mjs")}
    port: auto
    ready: { http: /healthz }
    backoff: { initial: 100ms }
sites:
  - listen: 127.0.0.1:${PROXY}
    routes:
      - path: /
        service: ws
`);
  dir = config.dir;
  berth = BerthProcess.up(config.file);
  backendPort = await proxyAndInstanceUp(berth, "ws#1");
});

after(async () => {
  await berth.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** An undici WebSocket client with a queue of what it received. */
class Client {
  readonly ws: WebSocket;
  readonly messages: (string | Buffer)[] = [];
  closed: { code: number; reason: string } | undefined;
  readonly opened: Promise<void>;
  #wake: (() => void) | undefined;

  constructor(path: string) {
    this.ws = new WebSocket(`ws://127.0.0.1:${PROXY}${path}`);
    this.ws.binaryType = "arraybuffer";
    this.opened = new Promise((resolve, reject) => {
      this.ws.addEventListener("open", () => resolve());
      this.ws.addEventListener("error", (e) =>
        reject(new Error(`websocket error: ${(e as ErrorEvent).message}`)),
      );
    });
    this.ws.addEventListener("message", (e) => {
      this.messages.push(typeof e.data === "string" ? e.data : Buffer.from(e.data as ArrayBuffer));
      this.#wake?.();
    });
    this.ws.addEventListener("close", (e) => {
      this.closed = { code: e.code, reason: e.reason };
      this.#wake?.();
    });
  }

  async next(timeoutMs = 5000): Promise<string | Buffer> {
    const deadline = performance.now() + timeoutMs;
    while (this.messages.length === 0) {
      if (this.closed) throw new Error(`closed (${this.closed.code}) while waiting for a message`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.messages.shift()!;
  }

  async whenClosed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    const deadline = performance.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`not closed within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.closed;
  }
}

/** A masked client frame (RFC 6455 §5.2). */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const n = payload.length;
  const head =
    n < 126
      ? Buffer.from([0x80 | opcode, 0x80 | n])
      : n < 65536
        ? Buffer.from([0x80 | opcode, 0x80 | 126, n >> 8, n & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), Buffer.alloc(8)]);
  if (n >= 65536) head.writeBigUInt64BE(BigInt(n), 2);
  const body = Buffer.from(payload);
  for (let i = 0; i < n; i++) body[i]! ^= mask[i & 3]!;
  return Buffer.concat([head, mask, body]);
}

/** A raw TCP client: what it received, and a way to wait for more. */
class Raw {
  readonly socket: Socket;
  data = Buffer.alloc(0);
  ended = false;
  #wake: (() => void) | undefined;

  constructor(port: number) {
    this.socket = connect(port, "127.0.0.1");
    this.socket.on("data", (chunk: Buffer) => {
      this.data = Buffer.concat([this.data, chunk]);
      this.#wake?.();
    });
    this.socket.on("end", () => {
      this.ended = true;
      this.#wake?.();
    });
    this.socket.on("error", () => {});
  }

  async until(condition: (data: Buffer) => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!condition(this.data)) {
      if (this.ended)
        throw new Error(`the connection ended before ${what}; got: ${this.data.toString("latin1")}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`not within ${timeoutMs} ms: ${what}; got ${this.data.length} bytes`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

function handshake(path: string): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: ws.example.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`
  );
}

async function stats(): Promise<{ floodWritten: number; opened: number; closed: number }> {
  const res = await fetch(`http://127.0.0.1:${backendPort}/stats`);
  return (await res.json()) as { floodWritten: number; opened: number; closed: number };
}

test("text and binary messages of every length class pass both ways", { timeout: 30_000 }, async () => {
  const client = new Client("/echo");
  await client.opened;
  try {
    client.ws.send("headers");
    const seen = JSON.parse((await client.next()) as string);
    assert.equal(seen.host, `127.0.0.1:${PROXY}`, "Host is the client's");
    assert.equal(seen.upgrade, "websocket");
    assert.equal(seen["x-forwarded-for"], "127.0.0.1");

    // 7-bit, 16-bit and 64-bit payload lengths, and their edges.
    for (const size of [0, 1, 125, 126, 65535, 65536, 3 * MiB + 1]) {
      const binary = randomBytes(size);
      client.ws.send(binary);
      const back = await client.next();
      assert.ok(Buffer.isBuffer(back), `a binary message of ${size} bytes comes back binary`);
      assert.ok(back.equals(binary), `the ${size}-byte binary message comes back unchanged`);
      const text = "é".repeat(Math.floor(size / 2));
      client.ws.send(text);
      assert.equal(await client.next(), text, `a text message of ${size} bytes comes back unchanged`);
    }
  } finally {
    client.ws.close(1000, "done");
  }
  assert.deepEqual(await client.whenClosed(), { code: 1000, reason: "done" });
  await berth.waitFor(instanceSays("ws#1", "ws close frame 1000"));
});

test("a close from the backend reaches the client", { timeout: 30_000 }, async () => {
  const client = new Client("/flood?bytes=10");
  await client.opened;
  assert.equal(((await client.next()) as Buffer).length, 10);
  assert.equal((await client.whenClosed()).code, 1000);
});

test("bytes sent right behind the handshake, before any answer, are not lost", {
  timeout: 30_000,
}, async () => {
  const raw = new Raw(PROXY);
  try {
    // One write: the head and a first message, as a client that does not wait for the 101 might.
    raw.socket.write(
      Buffer.concat([Buffer.from(handshake("/echo")), clientFrame(1, Buffer.from("early bird"))]),
    );
    await raw.until((d) => d.includes("\r\n\r\n"), "the 101");
    assert.match(raw.data.toString("latin1"), /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    const body = () => raw.data.subarray(raw.data.indexOf("\r\n\r\n") + 4);
    await raw.until(() => body().length >= 12, "the echo");
    assert.deepEqual(
      body().subarray(0, 12),
      Buffer.concat([Buffer.from([0x81, 10]), Buffer.from("early bird")]),
    );
  } finally {
    raw.socket.destroy();
  }
});

test("a client that vanishes without a close frame ends the backend's connection", {
  timeout: 30_000,
}, async () => {
  const mark = berth.lines.length;
  const raw = new Raw(PROXY);
  raw.socket.write(handshake("/echo"));
  await raw.until((d) => d.includes("\r\n\r\n"), "the 101");
  const opened = await berth.waitFor(instanceSays("ws#1", "ws open /echo$"), { from: mark });
  raw.socket.destroy();
  await berth.waitFor(instanceSays("ws#1", "ws closed /echo$"), { after: opened });
});

test("an upgrade the backend refuses is answered with the backend's own answer", {
  timeout: 30_000,
}, async () => {
  const raw = new Raw(PROXY);
  try {
    raw.socket.write(handshake("/refuse"));
    await raw.until((d) => d.toString("latin1").endsWith("refused\n"), "the backend's 403");
    const text = raw.data.toString("latin1");
    assert.match(text, /^HTTP\/1\.1 403 Forbidden\r\n/);
    assert.match(text, /\r\nX-Pid: \d+\r\n/);
  } finally {
    raw.socket.destroy();
  }
});

test("a client that does not read holds the backend back, and then gets every byte", {
  timeout: 60_000,
}, async () => {
  const total = 256 * MiB;
  const before = (await stats()).floodWritten;
  const raw = new Raw(PROXY);
  try {
    raw.socket.write(handshake(`/flood?bytes=${total}`));
    await raw.until((d) => d.includes("\r\n\r\n"), "the 101");
    raw.socket.pause();
    // What the backend wrote stops growing, far short of the whole: the tunnel does not buffer.
    let value = (await stats()).floodWritten;
    let since = performance.now();
    while (performance.now() - since < 400) {
      await new Promise((r) => setTimeout(r, 50));
      const next = (await stats()).floodWritten;
      if (next !== value) [value, since] = [next, performance.now()];
    }
    const written = value - before;
    assert.ok(
      written < 64 * MiB,
      `the backend got to write ${(written / MiB).toFixed(1)} MiB to a paused client`,
    );

    // Read on: every message and the close arrive. Count the bytes, not keep them.
    const head = raw.data.indexOf("\r\n\r\n") + 4;
    let received = raw.data.length - head;
    raw.data = Buffer.alloc(0);
    const frames = Math.ceil(total / (64 * 1024));
    const expected = total + frames * 10 + 4; // 64-bit length heads, then a close frame
    await new Promise<void>((resolve, reject) => {
      raw.socket.removeAllListeners("data");
      raw.socket.on("data", (chunk: Buffer) => {
        received += chunk.length;
        if (received >= expected) resolve();
      });
      raw.socket.once("close", () =>
        received >= expected ? resolve() : reject(new Error(`closed after ${received} of ${expected} bytes`)),
      );
      raw.socket.resume();
    });
    assert.equal(received, expected);
  } finally {
    raw.socket.destroy();
  }
});

test("a WebSocket opened while the only instance restarts waits for it, then works", {
  timeout: 30_000,
}, async () => {
  const started = berth.matching(STARTED).at(-1)!;
  const before = new Client("/echo");
  await before.opened;
  process.kill(pidIn(started), "SIGKILL");
  // A connection to the killed instance ends, abnormally.
  assert.equal((await before.whenClosed()).code, 1006);
  await berth.waitFor(berthSays("ws#1", "killed by SIGKILL"), { after: started });
  // No instance is ready now: the upgrade is held, not refused.
  const client = new Client("/echo");
  const restarted = await berth.waitFor(STARTED, { after: started });
  await client.opened;
  const ready = berth.matching(READY).at(-1)!;
  assert.ok(berth.lines.indexOf(ready) > berth.lines.indexOf(restarted));
  client.ws.send("whoami");
  assert.equal(await client.next(), String(pidIn(restarted)));
  client.ws.close();
  await client.whenClosed();
});
