import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { test } from "node:test";
import { HttpProbe } from "./http-probe.js";
import type { ProbeTarget } from "./probe.js";

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host = "127.0.0.1",
): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  server.listen(0, host);
  await once(server, "listening");
  const address = server.address();
  assert.ok(address && typeof address === "object");
  return { server, port: address.port };
}

const target = (port: number, host = "127.0.0.1"): ProbeTarget => ({ host, port, cwd: "/", env: {} });
const noAbort = () => new AbortController().signal;

test("passes on 200 and sends GET path with Host: localhost on a fresh connection", async () => {
  const seen: { method?: string; url?: string; host?: string; connection?: string }[] = [];
  const { server, port } = await serve((req, res) => {
    seen.push({
      method: req.method,
      url: req.url,
      host: req.headers.host,
      connection: req.headers.connection,
    });
    res.end("ok");
  });
  try {
    assert.deepEqual(await new HttpProbe("/healthz").run(target(port), noAbort()), { ok: true });
    assert.deepEqual(seen, [{ method: "GET", url: "/healthz", host: "localhost", connection: "close" }]);
  } finally {
    server.close();
  }
});

test("passes on a redirect, fails on 500 with the status", async () => {
  const { server, port } = await serve((req, res) => {
    res.statusCode = req.url === "/moved" ? 302 : 500;
    res.end();
  });
  try {
    assert.deepEqual(await new HttpProbe("/moved").run(target(port), noAbort()), { ok: true });
    assert.deepEqual(await new HttpProbe("/healthz").run(target(port), noAbort()), {
      ok: false,
      reason: "GET /healthz: 500",
    });
  } finally {
    server.close();
  }
});

test("reads the whole body before passing, so the backend sees no reset", async () => {
  // More than the loopback socket buffers hold (tens of MiB here), so the backend is still
  // writing when a probe that hung up early would close the connection.
  const chunk = Buffer.alloc(1024 * 1024, "x");
  const chunks = 64;
  let sent: Promise<boolean> = Promise.resolve(false);
  const { server, port } = await serve((_req, res) => {
    sent = (async () => {
      let failed = false;
      res.socket?.on("error", () => {
        failed = true;
      });
      res.setHeader("Content-Length", chunk.length * chunks);
      for (let i = 0; i < chunks && !failed && !res.destroyed; i++) {
        if (!res.write(chunk)) await drainOrClose(res);
      }
      res.end();
      return !failed && !res.destroyed;
    })();
  });
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on("warning", onWarning);
  try {
    assert.deepEqual(await new HttpProbe("/").run(target(port), noAbort()), { ok: true });
    assert.equal(await sent, true, "the whole body was read by the probe");
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
    assert.deepEqual(
      warnings.filter((w) => w.startsWith("MaxListenersExceededWarning")),
      [],
      "neither the probe nor the test's server piles up listeners",
    );
  } finally {
    process.off("warning", onWarning);
    server.close();
  }
});

/**
 * Waits for "drain" or "close", whichever comes first, and removes the other's listener: a
 * bare Promise.race of two once()s leaves one listener (and its "error" listener) behind per
 * call, which on a long body exceeds the emitter's limit of 10.
 */
async function drainOrClose(res: ServerResponse): Promise<void> {
  const done = new AbortController();
  try {
    await Promise.race([
      once(res, "drain", { signal: done.signal }),
      once(res, "close", { signal: done.signal }),
    ]);
  } finally {
    done.abort();
  }
}

test("works against ::1", async () => {
  const { server, port } = await serve((_req, res) => res.end(), "::1");
  try {
    assert.deepEqual(await new HttpProbe("/").run(target(port, "::1"), noAbort()), { ok: true });
  } finally {
    server.close();
  }
});

test("fails with the connect error when nothing listens", async () => {
  const { server, port } = await serve((_req, res) => res.end());
  server.close();
  await once(server, "close");
  assert.deepEqual(await new HttpProbe("/healthz").run(target(port), noAbort()), {
    ok: false,
    reason: `GET /healthz: connect ECONNREFUSED 127.0.0.1:${port}`,
  });
});

test("an abort ends a request the backend never answers, and closes its connection", async () => {
  let arrived: () => void = () => {};
  const requestArrived = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  let connectionClosed: Promise<unknown> = Promise.resolve();
  const { server, port } = await serve((req) => {
    connectionClosed = once(req.socket, "close");
    arrived();
  });
  try {
    const controller = new AbortController();
    const running = new HttpProbe("/slow").run(target(port), controller.signal);
    await requestArrived;
    controller.abort();
    assert.deepEqual(await running, { ok: false, reason: "aborted" });
    await connectionClosed;
  } finally {
    server.close();
  }
});
