// EngineClient against the real Docker engine, with the test images of test/fixtures/images/.
// Skipped without an engine (failed instead under BERTH_REQUIRE_DOCKER=1); each test removes
// the containers it labelled, passed or failed. Only 127.0.0.1 is ever connected to.

import assert from "node:assert/strict";
import type { EngineClient } from "../../src/docker/engine-client.js";
import { EngineError, isConflict, isNotFound } from "../../src/docker/engine-error.js";
import type { ContainerCreateBody, EngineEvent } from "../../src/docker/engine-types.js";
import { publishedPorts } from "../../src/docker/published-port.js";
import { writeTar } from "../../src/docker/tar.js";
import { buildTestImage, CASE_LABEL, dockerTest, TEST_LABEL, until } from "../support/docker.js";
import { send } from "../support/http-client.js";

const LOOPBACK_ANY_PORT = { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] };

/** Creates and starts `name`; resolves with its id and, when it publishes port 80, that port. */
async function run(
  engine: EngineClient,
  name: string,
  body: ContainerCreateBody,
): Promise<{ id: string; port: number | undefined }> {
  const id = await engine.createContainer(name, body);
  await engine.startContainer(id);
  const bindings = publishedPorts(await engine.inspectContainer(id), 80);
  return { id, port: bindings[0]?.port };
}

/** Waits until the server in the container answers / with a 200 (the port is published at once, the server follows). */
async function serving(port: number): Promise<void> {
  await until(
    `a 200 for / on 127.0.0.1:${port}`,
    () => send(port, "/", { host: `127.0.0.1:${port}` }),
    (reply) => reply.status === 200,
  );
}

/** Everything the container has written so far, as "stdout:…" / "stderr:…" pieces joined. */
async function allLogs(engine: EngineClient, id: string): Promise<{ stdout: string; stderr: string }> {
  const out = { stdout: "", stderr: "" };
  for await (const { stream, chunk } of await engine.containerLogs(id)) out[stream] += chunk.toString();
  return out;
}

/** Follows the logs until `text` appears, for at most `timeoutMs`. */
async function logsShow(engine: EngineClient, id: string, text: string, timeoutMs = 10_000): Promise<void> {
  let seen = "";
  for await (const { chunk } of await engine.containerLogs(id, {
    follow: true,
    signal: AbortSignal.timeout(timeoutMs),
  })) {
    seen += chunk.toString();
    if (seen.includes(text)) return;
  }
  assert.fail(
    `the logs did not show ${JSON.stringify(text)} within ${timeoutMs} ms; they show ${JSON.stringify(seen)}`,
  );
}

/** The events of the stream until one matches `last` (or `timeoutMs` passes: then the ones seen). */
async function eventsUntil(
  events: AsyncIterable<EngineEvent>,
  last: (event: EngineEvent) => boolean,
): Promise<EngineEvent[]> {
  const seen: EngineEvent[] = [];
  for await (const event of events) {
    seen.push(event);
    if (last(event)) break;
  }
  return seen;
}

const describe = (e: EngineEvent) =>
  [
    e.Action,
    e.Actor.Attributes.signal && `signal=${e.Actor.Attributes.signal}`,
    e.Actor.Attributes.exitCode && `exitCode=${e.Actor.Attributes.exitCode}`,
  ]
    .filter(Boolean)
    .join(" ");

dockerTest("engine: answers a ping and speaks API 1.41 or newer", async ({ engine }) => {
  await engine.ping();
  const version = await engine.version();
  const [major, minor] = version.ApiVersion.split(".").map(Number);
  assert.ok(major! > 1 || (major === 1 && minor! >= 41), `API ${version.ApiVersion}`);
  assert.equal(version.Os, "linux");
});

dockerTest(
  "buildImage: a failing step is an EngineError with the builder's message; imageInspect of no image is undefined",
  async ({ engine }) => {
    const tag = `berth-test/broken:${Date.now()}`;
    const context = writeTar([
      { type: "file", path: "Dockerfile", content: "FROM scratch\nCOPY missing /missing\n" },
    ]);
    const error = await engine.buildImage(context, tag).catch((e: unknown) => e);
    assert.ok(error instanceof EngineError, String(error));
    assert.match(error.message, new RegExp(`^building image ${tag}: COPY failed: .*missing`));
    assert.equal(await engine.imageInspect(tag), undefined);
    assert.equal(await engine.imageInspect("berth-test/never-built:none"), undefined);

    const image = await buildTestImage(engine, "echo-httpd");
    const inspected = await engine.imageInspect(image);
    assert.ok(inspected?.RepoTags?.includes(image));
    assert.deepEqual(inspected?.Config?.Cmd, ["/bin/httpd", "-f", "-p", "80", "-h", "/www"]);
    assert.equal(inspected?.Config?.Labels?.[TEST_LABEL], "1");
  },
);

dockerTest(
  "echo-httpd: published on 127.0.0.1 only at a port the engine chose; echoes the request's header fields; redirects to its inside address",
  async ({ engine, labels, name }) => {
    const image = await buildTestImage(engine, "echo-httpd");
    const { id, port } = await run(engine, name("echo"), {
      Image: image,
      Labels: labels,
      ExposedPorts: { "80/tcp": {} },
      HostConfig: { PortBindings: LOOPBACK_ANY_PORT },
    });
    assert.ok(port !== undefined && port > 0, "no port published");
    assert.deepEqual(publishedPorts(await engine.inspectContainer(id), 80), [{ host: "127.0.0.1", port }]);
    await serving(port);

    const index = await send(port, "/", { host: `127.0.0.1:${port}` });
    assert.match(index.body, /echo-httpd/);

    const echoed = await send(port, "/cgi-bin/headers?q=1", {
      host: "example.test",
      headers: [
        "X-Forwarded-For",
        "203.0.113.7",
        "X-Forwarded-Host",
        "example.test",
        "X-Forwarded-Proto",
        "https",
        "X-Forwarded-Port",
        "443",
        "Forwarded",
        "for=203.0.113.7;proto=https;host=example.test",
        "X-Request-Id",
        "req-42",
      ],
    });
    assert.equal(echoed.status, 200, echoed.body);
    const lines = echoed.body.split("\n");
    for (const expected of [
      "REQUEST_METHOD=GET",
      "REQUEST_URI=/cgi-bin/headers?q=1",
      "HTTP_HOST=example.test",
      "HTTP_X_FORWARDED_FOR=203.0.113.7",
      "HTTP_X_FORWARDED_HOST=example.test",
      "HTTP_X_FORWARDED_PROTO=https",
      "HTTP_X_FORWARDED_PORT=443",
      "HTTP_FORWARDED=for=203.0.113.7;proto=https;host=example.test",
      "HTTP_X_REQUEST_ID=req-42",
    ])
      assert.ok(lines.includes(expected), `${expected} not in:\n${echoed.body}`);
    // The engine's port forwarding connects from the bridge's gateway; busybox httpd listens on
    // IPv6 too and writes it mapped: "[::ffff:172.17.0.1]".
    assert.match(echoed.body, /^REMOTE_ADDR=\S+$/m);

    const redirect = await send(port, "/cgi-bin/redirect", { host: `127.0.0.1:${port}` });
    assert.equal(redirect.status, 302);
    const location = redirect.rawHeaders.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === "location");
    assert.equal(redirect.rawHeaders[location + 1], "http://localhost:80/landed");
    assert.equal((await send(port, "/landed", { host: `127.0.0.1:${port}` })).body, "landed\n");
  },
);

dockerTest(
  "createContainer: a name in use is a 409 EngineError 'creating container <name>: Conflict…'",
  async ({ engine, labels, name }) => {
    const image = await buildTestImage(engine, "echo-httpd");
    const taken = name("taken");
    await engine.createContainer(taken, { Image: image, Labels: labels });
    const error = await engine
      .createContainer(taken, { Image: image, Labels: labels })
      .catch((e: unknown) => e);
    assert.ok(isConflict(error), String(error));
    assert.match(
      (error as Error).message,
      new RegExp(
        `^creating container ${taken}: Conflict\\. The container name "/${taken}" is already in use`,
      ),
    );
  },
);

dockerTest(
  "containerLogs: stdout and stderr demultiplexed, follow ends when the container exits; with a TTY, raw output as stdout",
  async ({ engine, labels, name }) => {
    const image = await buildTestImage(engine, "echo-httpd");
    const script = "echo out-1; echo err-1 >&2; echo out-2; echo err-2 >&2";
    const id = await engine.createContainer(name("logs"), {
      Image: image,
      Labels: labels,
      Cmd: ["/bin/sh", "-c", script],
    });
    const { exited } = await engine.startWaiting(id, { condition: "next-exit" });
    await engine.startContainer(id);
    // Followed from the start; the stream ends by itself when the container has exited.
    const followed = { stdout: "", stderr: "" };
    for await (const { stream, chunk } of await engine.containerLogs(id, {
      follow: true,
      signal: AbortSignal.timeout(10_000),
    }))
      followed[stream] += chunk.toString();
    assert.deepEqual(followed, { stdout: "out-1\nout-2\n", stderr: "err-1\nerr-2\n" });
    assert.equal((await exited).StatusCode, 0);
    assert.deepEqual(await allLogs(engine, id), followed);

    const tty = await engine.createContainer(name("tty"), {
      Image: image,
      Labels: labels,
      Tty: true,
      Cmd: ["/bin/sh", "-c", script],
    });
    const ttyExited = await engine.startWaiting(tty, { condition: "next-exit" });
    await engine.startContainer(tty);
    assert.equal((await ttyExited.exited).StatusCode, 0);
    const raw = await allLogs(engine, tty);
    // A TTY merges the two streams and turns "\n" into "\r\n".
    assert.equal(raw.stderr, "");
    assert.equal(raw.stdout, "out-1\r\nerr-1\r\nout-2\r\nerr-2\r\n");
  },
);

dockerTest(
  "waitContainer: 'not-running' answers 0 at once for a created container; 'next-exit' set before start sees the SIGKILL (137); an aborted wait leaves it running",
  async ({ engine, labels, name }) => {
    const image = await buildTestImage(engine, "ignores-term");
    const id = await engine.createContainer(name("wait"), { Image: image, Labels: labels });
    // The trap a runtime must avoid: a created container is "not running" already.
    assert.deepEqual(await engine.waitContainer(id, { signal: AbortSignal.timeout(5_000) }), {
      StatusCode: 0,
      Error: null,
    });

    const { exited } = await engine.startWaiting(id, { condition: "next-exit" });
    await engine.startContainer(id);
    assert.equal((await engine.inspectContainer(id)).State.Status, "running");

    const controller = new AbortController();
    const aborted = engine.waitContainer(id, { signal: controller.signal });
    controller.abort(new Error("not waiting any more"));
    await assert.rejects(aborted, /not waiting any more/);
    assert.equal((await engine.inspectContainer(id)).State.Running, true);

    const killedAt = performance.now();
    await engine.killContainer(id, "SIGKILL");
    assert.deepEqual(await exited, { StatusCode: 137, Error: null });
    const state = (await engine.inspectContainer(id)).State;
    assert.equal(state.Status, "exited");
    assert.equal(state.ExitCode, 137);
    assert.equal(state.Running, false);
    const waitedMs = performance.now() - killedAt;
    assert.ok(waitedMs < 5_000, `the wait ended ${waitedMs} ms after the kill`);
  },
);

dockerTest(
  "stop: sends the StopSignal set at create (SIGUSR1, exit 138) and returns once the container exits, well before its timeout",
  async ({ t, engine, labels, name }) => {
    const image = await buildTestImage(engine, "reports-signals");
    const { id } = await run(engine, name("stopsignal"), {
      Image: image,
      Labels: labels,
      StopSignal: "SIGUSR1",
    });
    assert.equal((await engine.inspectContainer(id)).Config.StopSignal, "SIGUSR1");
    await logsShow(engine, id, "ready\n");
    const started = performance.now();
    assert.equal(await engine.stopContainer(id, 20), "stopped");
    const took = performance.now() - started;
    t.diagnostic(`stop with StopSignal SIGUSR1 took ${Math.round(took)} ms`);
    assert.ok(took < 10_000, `stop took ${took} ms: the StopSignal did not end it`);
    assert.equal((await engine.inspectContainer(id)).State.ExitCode, 138);
    assert.deepEqual(await allLogs(engine, id), { stdout: "ready\ngot USR1\n", stderr: "" });
    assert.equal(await engine.stopContainer(id, 1), "not running");
  },
);

dockerTest(
  "kill: sends the signal it is given; a container that does not run is a 409",
  async ({ engine, labels, name }) => {
    const image = await buildTestImage(engine, "reports-signals");
    const { id } = await run(engine, name("kill"), { Image: image, Labels: labels });
    await logsShow(engine, id, "ready\n");
    const { exited } = await engine.startWaiting(id);
    await engine.killContainer(id, "SIGHUP");
    assert.equal((await exited).StatusCode, 129);
    assert.equal((await allLogs(engine, id)).stdout, "ready\ngot HUP\n");
    await assert.rejects(engine.killContainer(id, "SIGTERM"), (e: unknown) => {
      assert.ok(e instanceof EngineError && e.statusCode === 409, String(e));
      assert.match(
        e.message,
        /^sending SIGTERM to container [0-9a-f]{12}: Cannot kill container: .* is not running/,
      );
      return true;
    });
  },
);

dockerTest(
  "ignores-term without init: SIGTERM does not end it; stop waits its timeout out, then SIGKILL (137)",
  async ({ t, engine, labels, name }) => {
    const image = await buildTestImage(engine, "ignores-term");
    const { id, port } = await run(engine, name("ignores"), {
      Image: image,
      Labels: labels,
      HostConfig: { Init: false, PortBindings: LOOPBACK_ANY_PORT },
    });
    await serving(port!);
    const events = await engine.events({
      filters: { type: ["container"], label: [`${CASE_LABEL}=${labels[CASE_LABEL]}`] },
      signal: AbortSignal.timeout(20_000),
    });
    const { exited } = await engine.startWaiting(id, { condition: "next-exit" });

    await engine.killContainer(id, "SIGTERM");
    // A bounded look for something that must not happen: an exit within a second of SIGTERM.
    const early = await Promise.race([
      exited.then((r) => `exited ${r.StatusCode}`),
      new Promise<string>((resolve) => setTimeout(() => resolve("still running"), 1_000)),
    ]);
    assert.equal(early, "still running");
    assert.equal((await send(port!, "/", { host: `127.0.0.1:${port}` })).status, 200);

    const started = performance.now();
    assert.equal(await engine.stopContainer(id, 1), "stopped");
    const took = performance.now() - started;
    t.diagnostic(`stop t=1 of a container ignoring SIGTERM took ${Math.round(took)} ms`);
    assert.ok(took >= 950, `stopped after ${took} ms, before its 1 s timeout`);
    assert.ok(took < 5_000, `stopped after ${took} ms`);
    assert.deepEqual(await exited, { StatusCode: 137, Error: null });

    const seen = await eventsUntil(events, (e) => e.Action === "stop");
    assert.deepEqual(
      seen.filter((e) => e.Action !== "exec_die").map(describe),
      // Ours, the stop's (its StopSignal, SIGTERM by default), its SIGKILL when t ran out.
      ["kill signal=15", "kill signal=15", "kill signal=9", "die exitCode=137", "stop"],
    );
  },
);

dockerTest(
  "ignores-term with the engine's init (Init true): SIGTERM ends it at once (143)",
  async ({ engine, labels, name }) => {
    const image = await buildTestImage(engine, "ignores-term");
    const { id, port } = await run(engine, name("init"), {
      Image: image,
      Labels: labels,
      HostConfig: { Init: true, PortBindings: LOOPBACK_ANY_PORT },
    });
    await serving(port!);
    const { exited } = await engine.startWaiting(id, { condition: "next-exit" });
    const started = performance.now();
    await engine.killContainer(id, "SIGTERM");
    assert.deepEqual(await exited, { StatusCode: 143, Error: null });
    assert.ok(performance.now() - started < 5_000);
  },
);

dockerTest(
  "events: filtered by label, a container's start, kill and die (with its exit code); another container's are not seen",
  async ({ engine, labels, name }) => {
    const image = await buildTestImage(engine, "ignores-term");
    const caseLabel = `${CASE_LABEL}=${labels[CASE_LABEL]}`;
    const events = await engine.events({
      filters: { type: ["container"], label: [caseLabel, "which=watched"] },
      signal: AbortSignal.timeout(20_000),
    });
    const other = await run(engine, name("other"), { Image: image, Labels: { ...labels, which: "other" } });
    const watched = await run(engine, name("watched"), {
      Image: image,
      Labels: { ...labels, which: "watched" },
    });
    await engine.killContainer(other.id, "SIGKILL");
    await engine.killContainer(watched.id, "SIGKILL");

    const seen = await eventsUntil(events, (e) => e.Action === "die");
    assert.ok(
      seen.every((e) => e.Actor.ID === watched.id),
      `events of another container: ${seen.map((e) => e.Actor.ID)}`,
    );
    assert.deepEqual(seen.map(describe), ["create", "start", "kill signal=9", "die exitCode=137"]);
    const die = seen.at(-1)!;
    assert.equal(die.Actor.Attributes.name, name("watched"));
    assert.equal(die.Actor.Attributes.which, "watched");
    assert.ok(die.timeNano > 0);
  },
);

dockerTest(
  "listContainers by label; removeContainer: a running one only with force, then it is gone (404)",
  async ({ engine, labels, name }) => {
    const image = await buildTestImage(engine, "ignores-term");
    const stopped = await engine.createContainer(name("created"), { Image: image, Labels: labels });
    const { id: running } = await run(engine, name("running"), { Image: image, Labels: labels });
    const caseOnly = { [CASE_LABEL]: labels[CASE_LABEL]! };

    const all = await engine.listContainers({ all: true, labels: caseOnly });
    assert.deepEqual(all.map((c) => c.Id).sort(), [stopped, running].sort());
    assert.deepEqual(Object.fromEntries(all.map((c) => [c.Names[0], c.State])), {
      [`/${name("created")}`]: "created",
      [`/${name("running")}`]: "running",
    });
    assert.deepEqual(
      (await engine.listContainers({ labels: caseOnly })).map((c) => c.Id),
      [running],
    );
    assert.deepEqual(await engine.listContainers({ all: true, labels: { ...caseOnly, absent: true } }), []);

    await assert.rejects(engine.removeContainer(running), (e: unknown) => {
      assert.ok(isConflict(e), String(e));
      assert.match(
        (e as Error).message,
        /^removing container [0-9a-f]{12}: You cannot remove a running container/,
      );
      return true;
    });
    await engine.removeContainer(running, { force: true });
    await engine.removeContainer(stopped);
    assert.deepEqual(await engine.listContainers({ all: true, labels: caseOnly }), []);
    await assert.rejects(engine.inspectContainer(running), (e: unknown) => isNotFound(e));
    await assert.rejects(engine.removeContainer(stopped), (e: unknown) => isNotFound(e));
  },
);

dockerTest(
  "healthy-later: the image's HEALTHCHECK goes from starting to healthy, and the engine says so in an event",
  async ({ t, engine, labels, name }) => {
    const image = await buildTestImage(engine, "healthy-later");
    const events = await engine.events({
      filters: { type: ["container"], label: [`${CASE_LABEL}=${labels[CASE_LABEL]}`] },
      signal: AbortSignal.timeout(20_000),
    });
    const started = performance.now();
    const { id } = await run(engine, name("health"), { Image: image, Labels: labels });
    assert.equal((await engine.inspectContainer(id)).State.Health?.Status, "starting");
    const seen = await eventsUntil(events, (e) => e.Action.startsWith("health_status"));
    assert.equal(seen.at(-1)?.Action, "health_status: healthy", seen.map(describe).join(", "));
    t.diagnostic(`healthy ${Math.round(performance.now() - started)} ms after create`);
    const health = (await engine.inspectContainer(id)).State.Health!;
    assert.equal(health.Status, "healthy");
    assert.equal(health.FailingStreak, 0);
  },
);
