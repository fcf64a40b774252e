import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:net";
import { test } from "node:test";
import type { ProbeTarget } from "./probe.js";
import { TcpProbe } from "./tcp-probe.js";

async function listen(host: string): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.destroy());
  server.listen(0, host);
  await once(server, "listening");
  const address = server.address();
  assert.ok(address && typeof address === "object");
  return { server, port: address.port };
}

const target = (host: string, port?: number): ProbeTarget => ({ host, port, cwd: "/", env: {} });

test("passes when the port accepts a connection", async () => {
  const { server, port } = await listen("127.0.0.1");
  try {
    const result = await new TcpProbe().run(target("127.0.0.1", port), new AbortController().signal);
    assert.deepEqual(result, { ok: true });
  } finally {
    server.close();
  }
});

test("passes on ::1", async () => {
  const { server, port } = await listen("::1");
  try {
    const result = await new TcpProbe().run(target("::1", port), new AbortController().signal);
    assert.deepEqual(result, { ok: true });
  } finally {
    server.close();
  }
});

test("fails with the connect error when nothing listens", async () => {
  const { server, port } = await listen("127.0.0.1");
  server.close();
  await once(server, "close");
  const result = await new TcpProbe().run(target("127.0.0.1", port), new AbortController().signal);
  assert.deepEqual(result, { ok: false, reason: `connect ECONNREFUSED 127.0.0.1:${port}` });
});

test("fails without a port", async () => {
  const result = await new TcpProbe().run(target("127.0.0.1"), new AbortController().signal);
  assert.equal(result.ok, false);
});

test("an abort ends the attempt as aborted", async () => {
  const { server, port } = await listen("127.0.0.1");
  try {
    const controller = new AbortController();
    const running = new TcpProbe().run(target("127.0.0.1", port), controller.signal);
    controller.abort();
    assert.deepEqual(await running, { ok: false, reason: "aborted" });
  } finally {
    server.close();
  }
});
