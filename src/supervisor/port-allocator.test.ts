// Ports handed to instances: a fixed port that is taken is refused with who holds it, unless the
// one holding it is the container this very instance is about to adopt (or replace).
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:net";
import { test } from "node:test";
import { freePort } from "../lib/ports.js";
import { PortAllocator } from "./port-allocator.js";

test("a fixed port held by the leftover container its instance may adopt is handed out; to any other instance it is refused", async (t) => {
  const holder = createServer();
  holder.listen(0, "127.0.0.1");
  await once(holder, "listening");
  t.after(() => holder.close());
  const port = (holder.address() as { port: number }).port;
  const asked: string[] = [];
  const ports = new PortAllocator({
    inUse: async (p) => `port ${p} is already in use by container berth-web-1-aaaaaa (0ld000000001)`,
    adoptionPort: async (instance) => {
      asked.push(instance);
      return instance === "web#1" ? port : undefined;
    },
  });
  assert.equal(await ports.portFor("web#1", { kind: "fixed", port }, undefined, "publish"), port);
  await assert.rejects(
    ports.portFor("admin#1", { kind: "fixed", port }, undefined, "publish"),
    new RegExp(`^StartError: port ${port} is already in use by container .* \\(or use publish: auto\\)$`),
  );
  assert.deepEqual(asked, ["web#1", "admin#1"]);
});

test("a free fixed port is handed out without asking about adoption", async () => {
  const ports = new PortAllocator({
    adoptionPort: async () => assert.fail("not asked"),
  });
  const port = await freePort();
  assert.equal(await ports.portFor("web#1", { kind: "fixed", port }, undefined), port);
});
