import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:net";
import { test } from "node:test";
import { addressesToCheck, freePort, isPortFree } from "./ports.js";

async function hold(port: number, host: string): Promise<Server> {
  const server = createServer();
  server.listen(port, host);
  await once(server, "listening");
  return server;
}

async function release(server: Server): Promise<void> {
  server.close();
  await once(server, "close");
}

test("freePort returns a port that a server can then listen on", async () => {
  const port = await freePort();
  assert.ok(port > 0 && port < 65536);
  await release(await hold(port, "127.0.0.1"));
});

test("freePort on ::1", async () => {
  const port = await freePort("::1");
  await release(await hold(port, "::1"));
});

test("isPortFree: false while someone listens on the host, true once they stop", async () => {
  const server = await hold(0, "127.0.0.1");
  const address = server.address();
  assert.ok(address && typeof address === "object");
  assert.equal(await isPortFree(address.port, "127.0.0.1"), false);
  assert.equal(await isPortFree(address.port, "0.0.0.0"), false);
  await release(server);
  assert.equal(await isPortFree(address.port, "127.0.0.1"), true);
});

test("isPortFree on ::1", async () => {
  const server = await hold(0, "::1");
  const address = server.address();
  assert.ok(address && typeof address === "object");
  assert.equal(await isPortFree(address.port, "::1"), false);
  await release(server);
  assert.equal(await isPortFree(address.port, "::1"), true);
});

test("isPortFree: an address this machine does not have cannot be listened on", async () => {
  // 192.0.2.0/24 is TEST-NET-1, never assigned to a host.
  assert.equal(await isPortFree(await freePort(), "192.0.2.1"), false);
});

test("a specific address is checked together with its family's wildcard", () => {
  // So a stranger on 0.0.0.0 counts as using the port even where the specific bind would succeed.
  assert.deepEqual(addressesToCheck("127.0.0.1"), [
    { host: "127.0.0.1", ipv6Only: false },
    { host: "0.0.0.0", ipv6Only: false },
  ]);
  assert.deepEqual(addressesToCheck("::1"), [
    { host: "::1", ipv6Only: true },
    { host: "::", ipv6Only: true },
  ]);
  assert.deepEqual(addressesToCheck("0.0.0.0"), [{ host: "0.0.0.0", ipv6Only: false }]);
  assert.deepEqual(addressesToCheck("::"), [{ host: "::", ipv6Only: false }]);
});
