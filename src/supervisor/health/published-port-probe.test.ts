// The readiness probe for a container's published port, against real sockets on 127.0.0.1:
// docker-proxy's accept-then-close is told apart from a server that keeps the connection.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { test } from "node:test";
import type { ProbeTarget } from "./probe.js";
import { PublishedPortProbe } from "./published-port-probe.js";

async function serving(
  onConnection: (socket: Socket) => void,
): Promise<{ server: Server; target: ProbeTarget }> {
  const server = createServer(onConnection).listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  return { server, target: { host: "127.0.0.1", port, cwd: "/", env: {} } };
}

const probe = new PublishedPortProbe(100);
const noAbort = () => new AbortController().signal;

test("accepted and closed at once (docker-proxy with nothing inside): not ready, and says why", async () => {
  const { server, target } = await serving((socket) => socket.end());
  try {
    const result = await probe.run(target, noAbort());
    assert.equal(result.ok, false);
    assert.match(
      !result.ok ? result.reason : "",
      /accepted and closed at once: the port is published, but nothing listens/,
    );
  } finally {
    server.close();
  }
});

test("a connection that stays open past the hold is ready; so is one the server speaks on first", async () => {
  const kept: Socket[] = [];
  const quiet = await serving((socket) => kept.push(socket));
  const talker = await serving((socket) => socket.write("220 hello\r\n"));
  try {
    const started = performance.now();
    assert.deepEqual(await probe.run(quiet.target, noAbort()), { ok: true });
    assert.ok(performance.now() - started >= 95, "held open for the hold time");
    assert.deepEqual(await probe.run(talker.target, noAbort()), { ok: true });
  } finally {
    for (const socket of kept) socket.destroy();
    quiet.server.close();
    talker.server.close();
  }
});

test("refused: not ready; aborted: ends at once", async () => {
  const { server, target } = await serving(() => {});
  server.close();
  await once(server, "close");
  const refused = await probe.run(target, noAbort());
  assert.match(!refused.ok ? refused.reason : "", /ECONNREFUSED/);

  const kept: Socket[] = [];
  const open = await serving((socket) => kept.push(socket));
  try {
    const controller = new AbortController();
    const running = new PublishedPortProbe(60_000).run(open.target, controller.signal);
    await once(open.server, "connection");
    controller.abort();
    assert.deepEqual(await running, { ok: false, reason: "aborted" });
  } finally {
    for (const socket of kept) socket.destroy();
    open.server.close();
  }
});
