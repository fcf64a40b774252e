// Who holds a port, in words: an engine that does not answer does not hold up the message.
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { EngineClient } from "../../docker/engine-client.js";
import { freePort } from "../../lib/ports.js";
import { portInUseMessage } from "./port-user.js";

test("an engine that accepts but never answers: the message comes within 2 s (not the engine client's 30 s)", {
  timeout: 10_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "berth-port-user-"));
  const socketPath = join(dir, "docker.sock");
  const held: Socket[] = [];
  const server = createServer((socket) => held.push(socket));
  server.listen(socketPath);
  await once(server, "listening");
  // The client's own timeout for a call, as berth builds it.
  const engine = new EngineClient({ address: { kind: "unix", socketPath } });
  t.after(() => {
    engine.close();
    for (const socket of held) socket.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const port = await freePort();
  const started = performance.now();
  const message = await portInUseMessage(port, engine);
  const took = performance.now() - started;
  assert.ok(took < 2_500, `took ${took.toFixed(0)} ms`);
  assert.equal(message, `port ${port} is already in use; stop it or choose another port`);
  assert.equal(held.length, 1, "the engine was asked");
});
