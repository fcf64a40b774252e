// The client connection's own timers (issue 3 point 4), through a real berth: an idle keep-alive
// connection is closed after keepalive_timeout, a connection that moves no byte for idle_timeout
// is closed even with a request in flight, and a connection that keeps being used stays open.
import assert from "node:assert/strict";
import { once } from "node:events";
import { rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { after, before, test } from "node:test";
import { freePort } from "../../src/lib/ports.js";
import { BerthProcess, berthSays, fixture, writeConfig } from "../support/berth-process.js";

const PORT = await freePort();
let berth: BerthProcess;
let dir: string;

before(async () => {
  const config = writeConfig(`
state_dir: state
proxy:
  client: { keepalive_timeout: 1s, idle_timeout: 2s }
services:
  web:
    command: ${fixture("http-echo.mjs")}
    port: auto
    ready: { http: /healthz }
sites:
  - listen: "127.0.0.1:${PORT}"
    routes:
      - { path: /, service: web }
`);
  dir = config.dir;
  berth = BerthProcess.up(config.file);
  await berth.waitFor(berthSays("web#1", "ready in"));
});

after(async () => {
  await berth?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A raw keep-alive connection: send a request, read responses as they come. */
class Connection {
  readonly socket: Socket;
  text = "";
  closedAt: number | undefined;
  readonly closed: Promise<void>;

  constructor() {
    this.socket = connect(PORT, "127.0.0.1");
    this.socket.setEncoding("latin1");
    this.socket.on("data", (chunk: string) => {
      this.text += chunk;
    });
    this.socket.on("error", () => {});
    this.closed = once(this.socket, "close").then(() => {
      this.closedAt = performance.now();
    });
  }

  /** Sends a GET and resolves once `count` responses have arrived whole on this connection. */
  async get(path: string, count: number): Promise<void> {
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: example.test\r\n\r\n`);
    // A response follows the previous body directly: count status lines anywhere, not at line starts.
    while ((this.text.match(/HTTP\/1\.1 200 /g) ?? []).length < count) {
      await Promise.race([once(this.socket, "data"), this.closed]);
      if (this.closedAt !== undefined) throw new Error(`closed early; got ${JSON.stringify(this.text)}`);
    }
  }
}

test("an idle keep-alive connection is closed after keepalive_timeout, and announced so", async () => {
  const c = new Connection();
  await c.get("/hello", 1);
  const answeredAt = performance.now();
  assert.match(c.text, /\r\nKeep-Alive: timeout=1\r\n/);
  await c.closed;
  const idle = c.closedAt! - answeredAt;
  // keepalive_timeout 1s, checked on the server's beat (every 500 ms for a 1 s timeout).
  assert.ok(idle >= 950 && idle < 1_900, `closed after ${idle.toFixed(0)} ms idle`);
});

test("a keep-alive connection in use stays open past keepalive_timeout", async () => {
  const c = new Connection();
  await c.get("/hello", 1);
  // Waiting for a slow answer is not waiting idle: 1.5 s with a request in flight.
  await c.get("/hello?delay=1500", 2);
  // Nor is a connection that keeps being used, past keepalive_timeout in all.
  const started = performance.now();
  let count = 2;
  while (performance.now() - started < 1_500) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    await c.get("/hello", ++count);
  }
  assert.equal(c.closedAt, undefined, "closed while in use");
  c.socket.destroy();
});

test("a connection that moves no byte for idle_timeout is closed, even with a request in flight", async () => {
  const c = new Connection();
  const sentAt = performance.now();
  // The backend answers after 5 s: nothing moves for longer than idle_timeout (2 s).
  c.socket.write("GET /hello?delay=5000 HTTP/1.1\r\nHost: example.test\r\n\r\n");
  await c.closed;
  const took = c.closedAt! - sentAt;
  assert.ok(took >= 1_900 && took < 3_500, `closed after ${took.toFixed(0)} ms`);
  assert.equal(c.text, "", "nothing was answered");
});
