// EngineClient against a fake engine (a node:http server on a unix socket or a loopback port):
// what it sends, how it reads the engine's answers and streams, and how its errors read.
// test/integration/docker-engine.test.ts runs it against a real engine.

import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { freePort } from "../lib/ports.js";
import { EngineClient } from "./engine-client.js";
import { EngineConnectionError, EngineError, isConflict, isNotFound } from "./engine-error.js";
import type { EngineEvent } from "./engine-types.js";

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void;

/** A fake engine on a unix socket in a fresh directory, and a client of it; both closed after the test. */
async function fakeEngine(t: TestContext, handler: Handler, options: { timeoutMs?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "berth-engine-"));
  const socketPath = join(dir, "docker.sock");
  const requests: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const seen = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      requests.push(seen);
      handler(req, res, seen);
    });
  });
  server.listen(socketPath);
  await once(server, "listening");
  const engine = new EngineClient({ address: { kind: "unix", socketPath }, timeoutMs: options.timeoutMs });
  t.after(async () => {
    engine.close();
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { engine, requests };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function frame(kind: number, payload: string): Buffer {
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(Buffer.byteLength(payload), 4);
  return Buffer.concat([header, Buffer.from(payload)]);
}

test("EngineClient: every path is under /v1.41; names, filters and JSON bodies go where the API wants them", async (t) => {
  const { engine, requests } = await fakeEngine(t, (req, res) => {
    if (req.url!.startsWith("/v1.41/containers/create"))
      return json(res, 201, { Id: "abc123", Warnings: [] });
    if (req.url!.startsWith("/v1.41/containers/json")) return json(res, 200, []);
    res.writeHead(204).end();
  });
  const id = await engine.createContainer("berth-web-1", {
    Image: "site:1",
    StopSignal: "SIGUSR1",
    HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } },
  });
  assert.equal(id, "abc123");
  await engine.listContainers({ all: true, labels: { "berth.project": "demo", "berth.service": true } });
  await engine.killContainer("abc123", "SIGTERM");
  await engine.removeContainer("abc123", { force: true });

  assert.equal(requests[0]!.method, "POST");
  assert.equal(requests[0]!.url, "/v1.41/containers/create?name=berth-web-1");
  assert.equal(requests[0]!.headers["content-type"], "application/json");
  assert.deepEqual(JSON.parse(requests[0]!.body), {
    Image: "site:1",
    StopSignal: "SIGUSR1",
    HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } },
  });
  const list = new URL(requests[1]!.url, "http://x");
  assert.equal(list.pathname, "/v1.41/containers/json");
  assert.equal(list.searchParams.get("all"), "true");
  assert.deepEqual(JSON.parse(list.searchParams.get("filters")!), {
    label: ["berth.project=demo", "berth.service"],
  });
  assert.equal(requests[2]!.url, "/v1.41/containers/abc123/kill?signal=SIGTERM");
  assert.equal(requests[3]!.method, "DELETE");
  assert.equal(requests[3]!.url, "/v1.41/containers/abc123?force=true");
});

test("EngineClient: an error answer is an EngineError worded 'verb-ing noun: the engine's message', with its status", async (t) => {
  const conflict =
    'Conflict. The container name "/berth-web-1" is already in use by container "0123". You have to remove (or rename) that container to be able to reuse that name.';
  const { engine } = await fakeEngine(t, (req, res) => {
    if (req.url!.includes("/containers/create")) return json(res, 409, { message: conflict });
    if (req.url!.includes("/images/")) return json(res, 404, { message: "No such image: site:1" });
    if (req.url!.includes("/kill")) return res.writeHead(500).end("plain text trouble\n");
    json(res, 404, { message: "No such container: 0123456789ab" });
  });

  const created = await engine.createContainer("berth-web-1", { Image: "site:1" }).catch((e: unknown) => e);
  assert.ok(created instanceof EngineError);
  assert.equal(created.message, `creating container berth-web-1: ${conflict}`);
  assert.equal(created.statusCode, 409);
  assert.equal(created.engineMessage, conflict);
  assert.ok(isConflict(created));

  assert.equal(await engine.imageInspect("site:1"), undefined);
  const id = "0123456789ab".padEnd(64, "c");
  await assert.rejects(
    engine.inspectContainer(id),
    (e: unknown) =>
      isNotFound(e) &&
      (e as Error).message === "inspecting container 0123456789ab: No such container: 0123456789ab",
  );
  await assert.rejects(engine.killContainer("web"), {
    name: "EngineError",
    statusCode: 500,
    message: "sending SIGKILL to container web: plain text trouble",
  });
});

test("EngineClient: no engine at the address is an EngineConnectionError naming the address and what to do", async () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-engine-"));
  try {
    const missing = new EngineClient({ address: { kind: "unix", socketPath: join(dir, "missing.sock") } });
    await assert.rejects(missing.ping(), (e: unknown) => {
      assert.ok(e instanceof EngineConnectionError);
      assert.equal(e.failure, "unreachable");
      assert.equal(e.code, "ENOENT");
      assert.equal(
        e.message,
        `reaching the Docker engine: the Docker engine is not reachable at unix://${dir}/missing.sock (ENOENT); ` +
          "start the engine (dockerd), or set DOCKER_HOST to where it listens (unix:///path/to/docker.sock or tcp://host:port)",
      );
      return true;
    });
    missing.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const port = await freePort();
  const refused = new EngineClient({ address: { kind: "tcp", host: "127.0.0.1", port } });
  await assert.rejects(refused.createContainer("berth-web-1", { Image: "x" }), (e: unknown) => {
    assert.ok(e instanceof EngineConnectionError);
    assert.equal(e.code, "ECONNREFUSED");
    assert.match(
      e.message,
      new RegExp(
        `^creating container berth-web-1: the Docker engine is not reachable at tcp://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`,
      ),
    );
    return true;
  });
  refused.close();
});

test("EngineClient: over tcp:// too; a call not answered in time is a timeout naming the limit", async (t) => {
  const server = createServer((req, res) => {
    if (req.url!.includes("/_ping")) return res.end("OK");
    // /version: never answered
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  const engine = new EngineClient({ address: { kind: "tcp", host: "127.0.0.1", port }, timeoutMs: 150 });
  t.after(() => {
    engine.close();
    server.closeAllConnections();
    server.close();
  });
  await engine.ping();
  const started = performance.now();
  await assert.rejects(engine.version(), (e: unknown) => {
    assert.ok(e instanceof EngineConnectionError);
    assert.equal(e.failure, "timeout");
    assert.equal(
      e.message,
      `asking the Docker engine its version: the Docker engine at tcp://127.0.0.1:${port} did not answer within 150 ms`,
    );
    return true;
  });
  const took = performance.now() - started;
  assert.ok(took >= 140 && took < 2000, `took ${took} ms`);
});

test("EngineClient: stop passes t in whole seconds (rounded up) and tells a stop from 'was not running' (304)", async (t) => {
  let status = 204;
  const { engine, requests } = await fakeEngine(t, (_req, res) => res.writeHead(status).end());
  assert.equal(await engine.stopContainer("web", 2.5), "stopped");
  status = 304;
  assert.equal(await engine.stopContainer("web", 0), "not running");
  assert.deepEqual(
    requests.map((r) => r.url),
    ["/v1.41/containers/web/stop?t=3", "/v1.41/containers/web/stop?t=0"],
  );
});

test("EngineClient: containerLogs demultiplexes frames cut anywhere; a TTY's raw output is all stdout", async (t) => {
  const framed = Buffer.concat([frame(1, "out one\n"), frame(2, "err one\n"), frame(1, "out two\n")]);
  const { engine, requests } = await fakeEngine(t, (req, res) => {
    res.writeHead(200, { "content-type": "application/vnd.docker.raw-stream" });
    if (req.url!.startsWith("/v1.41/containers/tty/")) return res.end("raw \x1b[1mbytes\x1b[0m\r\n");
    // In pieces of 5 bytes, so that headers and payloads are cut.
    for (let i = 0; i < framed.length; i += 5) res.write(framed.subarray(i, i + 5));
    res.end();
  });
  const out: string[] = [];
  for await (const { stream, chunk } of await engine.containerLogs("web", {
    tty: false,
    follow: true,
    tail: 10,
  }))
    out.push(`${stream}:${chunk}`);
  assert.deepEqual(out, ["stdout:out one\n", "stderr:err one\n", "stdout:out two\n"]);
  assert.equal(requests[0]!.url, "/v1.41/containers/web/logs?stdout=true&stderr=true&follow=true&tail=10");

  const raw: string[] = [];
  for await (const { stream, chunk } of await engine.containerLogs("tty", { tty: true }))
    raw.push(`${stream}:${chunk}`);
  assert.deepEqual(raw, ["stdout:raw \x1b[1mbytes\x1b[0m\r\n"]);
});

test("EngineClient: events come parsed as they arrive; close() while a reader waits ends it quietly, and so does an abort", async (t) => {
  const open: ServerResponse[] = [];
  const { engine, requests } = await fakeEngine(t, (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write(
      `${JSON.stringify({ Type: "container", Action: "start", Actor: { ID: "a", Attributes: {} } })}\n`,
    );
    open.push(res);
  });
  const filters = { type: ["container"], label: ["berth.project=demo"] };
  const events = await engine.events({ filters });
  assert.deepEqual(JSON.parse(new URL(requests[0]!.url, "http://x").searchParams.get("filters")!), filters);
  const first = await events.next();
  assert.equal((first.value as EngineEvent).Action, "start");
  // The next event is split in two writes.
  const die = JSON.stringify({
    Type: "container",
    Action: "die",
    Actor: { ID: "a", Attributes: { exitCode: "137" } },
  });
  open[0]!.write(die.slice(0, 10));
  const second = events.next();
  open[0]!.write(`${die.slice(10)}\n`);
  assert.equal(((await second).value as EngineEvent).Actor.Attributes.exitCode, "137");
  const waiting = events.next();
  events.close();
  assert.deepEqual(await waiting, { done: true, value: undefined });
  assert.deepEqual(await events.next(), { done: true, value: undefined });

  const controller = new AbortController();
  const aborted = await engine.events({ signal: controller.signal });
  const seen: string[] = [];
  const reading = (async () => {
    for await (const event of aborted) {
      seen.push(event.Action);
      controller.abort();
    }
  })();
  await reading;
  assert.deepEqual(seen, ["start"]);
});

test("EngineClient: an engine that goes away under a stream is an EngineConnectionError 'lost'", async (t) => {
  const { engine } = await fakeEngine(t, (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"Type":"container","Action":"start","Actor":{"ID":"a","Attributes":{}}}\n');
    setImmediate(() => res.socket!.destroy());
  });
  const events = await engine.events();
  await assert.rejects(
    (async () => {
      for await (const _ of events);
    })(),
    (e: unknown) =>
      e instanceof EngineConnectionError &&
      e.failure === "lost" &&
      /^watching the Docker engine's events: the connection to the Docker engine at unix:\/\/.* broke/.test(
        e.message,
      ),
  );
});

test("EngineClient: startWaiting resolves when the engine has registered the wait; exited settles with the status; abort rejects", async (t) => {
  const pending: ServerResponse[] = [];
  const { engine, requests } = await fakeEngine(t, (_req, res) => {
    // As the engine does: the head at once, the body when the container exits.
    res.writeHead(200, { "content-type": "application/json" });
    res.flushHeaders();
    pending.push(res);
  });
  const { exited } = await engine.startWaiting("web", { condition: "next-exit" });
  assert.equal(requests[0]!.url, "/v1.41/containers/web/wait?condition=next-exit");
  let settled = false;
  exited.then(() => {
    settled = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false, "exited settled before the engine said the container exited");
  pending[0]!.end(JSON.stringify({ StatusCode: 137, Error: null }));
  assert.deepEqual(await exited, { StatusCode: 137, Error: null });

  // Aborted after the engine registered the wait, and before it even answered.
  const controller = new AbortController();
  const registered = await engine.startWaiting("web", { signal: controller.signal });
  controller.abort(new Error("berth is stopping"));
  await assert.rejects(registered.exited, /berth is stopping/);
  await assert.rejects(
    engine.waitContainer("web", { signal: AbortSignal.abort(new Error("already stopping")) }),
    /already stopping/,
  );

  const failing = await engine.startWaiting("web");
  pending.at(-1)!.end(JSON.stringify({ StatusCode: 0, Error: { Message: "container removed" } }));
  await assert.rejects(failing.exited, {
    name: "EngineError",
    message: "waiting for container web: container removed",
  });
});

test("EngineClient: buildImage sends the tar, passes output on, reads the image id; a failed step is the builder's message", async (t) => {
  const { engine, requests } = await fakeEngine(t, (req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"stream":"Step 1/2 : FROM scratch\\n"}\r\n');
    if (req.url!.includes("t=bad")) {
      res.end(
        '{"errorDetail":{"message":"COPY failed: file not found in build context"},"error":"COPY failed: file not found in build context"}\r\n',
      );
      return;
    }
    res.write('{"stream":"Step 2/2 : CMD [\\"x\\"]\\n"}\r\n{"aux":{"ID":"sha256:feed"}}\r\n');
    res.end('{"stream":"Successfully built feed\\n"}\r\n');
  });
  const output: string[] = [];
  const built = await engine.buildImage(Buffer.from("tar bytes"), "good:1", {
    labels: { "berth.test": "1" },
    onOutput: (text) => output.push(text),
  });
  assert.equal(built.imageId, "sha256:feed");
  assert.deepEqual(output, [
    "Step 1/2 : FROM scratch\n",
    'Step 2/2 : CMD ["x"]\n',
    "Successfully built feed\n",
  ]);
  const url = new URL(requests[0]!.url, "http://x");
  assert.equal(url.pathname, "/v1.41/build");
  assert.equal(url.searchParams.get("t"), "good:1");
  assert.equal(url.searchParams.get("labels"), '{"berth.test":"1"}');
  assert.equal(requests[0]!.headers["content-type"], "application/x-tar");
  assert.equal(requests[0]!.body, "tar bytes");

  await assert.rejects(engine.buildImage(Buffer.from("tar"), "bad:1"), {
    name: "EngineError",
    statusCode: undefined,
    message: "building image bad:1: COPY failed: file not found in build context",
  });
});
