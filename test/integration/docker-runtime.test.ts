// Image services through a real `berth up` and a real Docker engine (issue 4): a container
// becomes ready and is served through a site with correct forwarding headers and its redirect
// rewritten; killed or stopped behind berth's back it is restarted; Ctrl-C leaves no container; a PID 1
// that ignores SIGTERM is SIGKILLed when its ladder says. Skipped without an engine (failed under
// BERTH_REQUIRE_DOCKER=1); every container carries the test's labels and is removed afterwards.
import assert from "node:assert/strict";
import { once } from "node:events";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { LABEL } from "../../src/docker/berth-labels.js";
import type { EngineClient } from "../../src/docker/engine-client.js";
import type { EngineEvent } from "../../src/docker/engine-types.js";
import { freePort } from "../../src/lib/ports.js";
import { berthSays, instanceSays, withBerth } from "../support/berth-process.js";
import { buildTestImage, CASE_LABEL, dockerTest, until } from "../support/docker.js";
import { containerReady, projectContainers, webSiteYaml, yamlLabels } from "../support/docker-berth.js";
import { type Reply, send, values } from "../support/http-client.js";

/** The CGI's lines (`HTTP_X_FORWARDED_FOR=127.0.0.1`) as a map. */
function cgiFields(reply: Reply): Record<string, string> {
  assert.equal(reply.status, 200, reply.body);
  return Object.fromEntries(
    reply.body
      .trim()
      .split("\n")
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

dockerTest(
  "an image service: ready, served through a site on 127.0.0.1 only, X-Forwarded-* as the proxy computed them, its redirect to itself rewritten to the public address",
  async ({ engine, labels }) => {
    const image = await buildTestImage(engine, "echo-httpd");
    const site = await freePort();
    const yaml = webSiteYaml(image, labels, site);
    await withBerth(yaml, async (berth, dir) => {
      const { id, port } = await containerReady(berth, "web#1");

      const inspect = await engine.inspectContainer(id);
      assert.deepEqual(inspect.HostConfig.PortBindings, {
        "80/tcp": [{ HostIp: "127.0.0.1", HostPort: String(port) }],
      });
      assert.equal(inspect.HostConfig.Init, true);
      assert.equal(inspect.Config.StopSignal, "SIGTERM");
      const own = inspect.Config.Labels ?? {};
      assert.equal(own[LABEL.service], "web");
      assert.equal(own[LABEL.instance], "web#1");
      assert.match(own[LABEL.configHash] ?? "", /^[0-9a-f]{16}$/);
      assert.equal((await projectContainers(engine, dir)).length, 1, "the project label finds it");

      const host = `example.test:${site}`;
      const fields = cgiFields(
        await send(site, "/cgi-bin/headers", { host, headers: ["X-Forwarded-For", "6.6.6.6"] }),
      );
      assert.equal(fields.HTTP_X_FORWARDED_FOR, "127.0.0.1", "a client's own X-Forwarded-For is dropped");
      assert.equal(fields.HTTP_X_FORWARDED_HOST, host);
      assert.equal(fields.HTTP_X_FORWARDED_PROTO, "http");
      assert.equal(fields.HTTP_X_FORWARDED_PORT, String(site));
      assert.equal(fields.HTTP_HOST, host);

      const redirect = await send(site, "/cgi-bin/redirect", { host });
      assert.equal(redirect.status, 302);
      assert.deepEqual(values(redirect.rawHeaders, "location"), [`http://${host}/landed`]);
      assert.equal((await send(site, "/landed", { host })).body.trim(), "landed");
    });
  },
);

/**
 * While a client sends requests through the site one at a time, the container is ended from
 * outside through the engine (`docker kill` or `docker stop`): berth restarts it, and none of the
 * requests sent after the engine said it was dead fails.
 */
async function endedFromOutside(
  engine: EngineClient,
  labels: Record<string, string>,
  how: "kill" | "stop",
): Promise<void> {
  const image = await buildTestImage(engine, "echo-httpd");
  const site = await freePort();
  const yaml = webSiteYaml(image, labels, site);
  await withBerth(yaml, async (berth) => {
    const first = await containerReady(berth, "web#1");
    // One request at a time, so at most one is in flight when the container dies: a response
    // the container had begun cannot be saved (its head has reached the client already).
    const failures: { sentAt: number; why: string }[] = [];
    let answered = 0;
    let sending = true;
    let endedAt = Number.POSITIVE_INFINITY;
    const client = (async () => {
      while (sending) {
        const sentAt = performance.now();
        const reply = await send(site, "/landed", { host: "example.test" }).catch((error: Error) => error);
        if (reply instanceof Error || reply.status !== 200)
          failures.push({
            sentAt,
            why: reply instanceof Error ? reply.message : `${reply.status} ${reply.body}`,
          });
        else answered++;
      }
    })();
    try {
      await until(
        `a few answers before the ${how}`,
        async () => answered,
        (n) => n >= 5,
      );
      // Each resolves once the container is dead: a stop sends its StopSignal (SIGTERM, which the
      // init passes on to httpd: 128 + 15), a kill SIGKILL (128 + 9).
      if (how === "kill") await engine.killContainer(first.id, "SIGKILL");
      else assert.equal(await engine.stopContainer(first.id, 10), "stopped");
      endedAt = performance.now();
      const code = how === "kill" ? 137 : 143;
      const exited = await berth.waitFor(berthSays("web#1", `exited with code ${code} after `));
      await berth.waitFor(berthSays("web#1", "restarting in "), { after: exited });
      const second = await containerReady(berth, "web#1", { after: exited });
      assert.notEqual(second.id, first.id);
      const before = answered;
      await until(
        "answers from the new container",
        async () => answered,
        (n) => n >= before + 5,
      );
    } finally {
      sending = false;
      await client;
    }
    const after = failures.filter((f) => f.sentAt >= endedAt);
    assert.deepEqual(after, [], `requests sent after the ${how} were held and served by the new container`);
    assert.ok(failures.length <= 1, `only the one in flight may fail: ${JSON.stringify(failures)}`);
    // The dead one is removed, not left behind (exited).
    await until(
      `the ${how === "kill" ? "killed" : "stopped"} container removed`,
      () =>
        engine.inspectContainer(first.id).then(
          () => "still there",
          (e: Error) => e.message,
        ),
      (m) => /No such container/.test(m),
    );
  });
}

dockerTest(
  "a container killed through the engine is restarted (restart: always); of a client's steady requests through the site, none sent after the kill fails",
  ({ engine, labels }) => endedFromOutside(engine, labels, "kill"),
);

dockerTest(
  "a container stopped through the engine (docker stop) is restarted; of a client's steady requests through the site, none sent after the stop fails",
  ({ engine, labels }) => endedFromOutside(engine, labels, "stop"),
);

dockerTest(
  "Ctrl-C: berth stops the container (its init passes SIGTERM on), removes it, and exits 0 with no container of its project left",
  async ({ engine, labels }) => {
    const image = await buildTestImage(engine, "echo-httpd");
    const yaml = `
services:
  web:
    image: ${image}
    port: 80
    replicas: 2
    labels: ${yamlLabels(labels)}
    stop: { signal: SIGTERM, timeout: 5s }
`;
    await withBerth(yaml, async (berth, dir) => {
      await containerReady(berth, "web#1");
      await containerReady(berth, "web#2");
      assert.equal((await projectContainers(engine, dir)).length, 2);
      const signalledAt = performance.now();
      berth.signal("SIGINT");
      await berth.waitFor(berthSays("web#1", "stopped by SIGTERM after "));
      await berth.waitFor(berthSays("web#2", "stopped by SIGTERM after "));
      assert.deepEqual(await berth.waitForExit(), { code: 0, signal: null });
      // Within the ladder's timeout (5s): SIGTERM, passed on by the init, ends httpd at once.
      const took = performance.now() - signalledAt;
      assert.ok(took < 5_000, `berth exited ${took.toFixed(0)} ms after Ctrl-C (stop timeout: 5s)`);
      assert.deepEqual(await projectContainers(engine, dir), []);
      assert.deepEqual(
        await engine.listContainers({ all: true, labels: { [CASE_LABEL]: labels[CASE_LABEL]! } }),
        [],
      );
    });
  },
);

dockerTest(
  "init: false, a PID 1 that ignores SIGTERM: SIGKILLed when its ladder says (1.5s after SIGTERM, ±200 ms, as the engine saw it)",
  async ({ engine, labels }) => {
    const image = await buildTestImage(engine, "ignores-term");
    const yaml = `
services:
  stubborn:
    image: ${image}
    port: 80
    init: false
    labels: ${yamlLabels(labels)}
    stop:
      - { signal: SIGTERM }
      - { signal: SIGKILL, after: 1500ms }
`;
    await withBerth(yaml, async (berth) => {
      const { id } = await containerReady(berth, "stubborn#1");
      assert.equal((await engine.inspectContainer(id)).HostConfig.Init, false);
      const events = await engine.events({
        filters: { type: ["container"], label: [`${CASE_LABEL}=${labels[CASE_LABEL]}`] },
      });
      const seen: EngineEvent[] = [];
      const collected = (async () => {
        for await (const event of events) {
          seen.push(event);
          if (event.Action === "die") return;
        }
      })();
      try {
        berth.signal("SIGTERM");
        await berth.waitFor(berthSays("stubborn#1", "stopped by SIGKILL after "), { timeoutMs: 10_000 });
        await collected;
      } finally {
        events.close();
      }
      const term = seen.find((e) => e.Action === "kill" && e.Actor.Attributes.signal === "15");
      const die = seen.find((e) => e.Action === "die");
      assert.ok(term && die, `engine events: ${seen.map((e) => e.Action).join(", ")}`);
      assert.equal(die.Actor.Attributes.exitCode, "137");
      const ms = (die.timeNano - term.timeNano) / 1e6;
      assert.ok(
        ms >= 1500 - 200 && ms <= 1500 + 200,
        `died ${ms.toFixed(0)} ms after SIGTERM; expected 1300–1700`,
      );
      assert.deepEqual(await berth.waitForExit(), { code: 0, signal: null });
    });
  },
);

dockerTest(
  "output: stdout and stderr lines arrive as the instance's; keep: true leaves the exited container; a command override replaces the image's",
  async ({ engine, labels }) => {
    const image = await buildTestImage(engine, "echo-httpd");
    const yaml = `
services:
  once:
    image: ${image}
    command: ["/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"]
    restart: never
    keep: true
    labels: ${yamlLabels(labels)}
`;
    await withBerth(yaml, async (berth, dir) => {
      const started = await berth.waitFor(berthSays("once#1", "started \\(container [0-9a-f]{12}\\)"));
      await berth.waitFor(instanceSays("once#1", "to-stdout$"), { after: started });
      await berth.waitFor(instanceSays("once#1", "to-stderr$"), { after: started });
      const exited = await berth.waitFor(berthSays("once#1", "exited with code 3 after \\S+; not restarted"));
      assert.ok(berth.lines.indexOf(exited) > berth.lines.findIndex((l) => /to-stderr$/.test(l.text)));
      const kept = await projectContainers(engine, dir);
      assert.equal(kept.length, 1);
      assert.equal(kept[0]!.State, "exited");
      assert.equal(kept[0]!.Labels?.[LABEL.keep], "true");
    });
  },
);

dockerTest(
  "readiness is not fooled by docker-proxy: a container whose server starts a second late is ready after it, not at the publish",
  async ({ engine, labels }) => {
    const image = await buildTestImage(engine, "echo-httpd");
    const yaml = `
services:
  late:
    image: ${image}
    command: ["/bin/sh", "-c", "echo starting; sleep 1; exec httpd -f -p 80 -h /www"]
    port: 80
    labels: ${yamlLabels(labels)}
`;
    await withBerth(yaml, async (berth) => {
      const starting = await berth.waitFor(instanceSays("late#1", "starting$"));
      const { port, ready } = await containerReady(berth, "late#1");
      assert.ok(
        ready.at - starting.at >= 900,
        `ready ${(ready.at - starting.at).toFixed(0)} ms after the shell started`,
      );
      assert.equal((await send(port, "/landed", { host: "x" })).status, 200, "ready means serving");
    });
  },
);

dockerTest(
  "an image with a HEALTHCHECK: ready only once the engine says healthy",
  async ({ engine, labels }) => {
    const image = await buildTestImage(engine, "healthy-later");
    const yaml = `
services:
  checked:
    image: ${image}
    labels: ${yamlLabels(labels)}
`;
    await withBerth(yaml, async (berth) => {
      const started = await berth.waitFor(berthSays("checked#1", "started \\(container ([0-9a-f]{12})\\)"));
      const id = /container ([0-9a-f]{12})/.exec(started.text)![1]!;
      await berth.waitFor(berthSays("checked#1", "ready in "), { after: started });
      assert.equal((await engine.inspectContainer(id)).State.Health?.Status, "healthy");
    });
  },
);

dockerTest(
  "Ctrl-C while the image is pulled from a registry that never answers: the pull is abandoned, berth exits at once, no container is made",
  async ({ engine, labels }) => {
    // A registry on 127.0.0.1 that takes connections and never says a word.
    const held: Socket[] = [];
    const registry = createServer((socket) => held.push(socket));
    registry.listen(0, "127.0.0.1");
    await once(registry, "listening");
    const { port } = registry.address() as AddressInfo;
    const yaml = `
services:
  slow:
    image: 127.0.0.1:${port}/berth-test/never-answers:1
    labels: ${yamlLabels(labels)}
`;
    try {
      await withBerth(yaml, async (berth, dir) => {
        await until(
          "the engine connecting to the registry",
          async () => held.length,
          (n) => n >= 1,
          15_000,
        );
        berth.signal("SIGINT");
        const signalled = performance.now();
        assert.deepEqual(await berth.waitForExit(10_000), { code: 0, signal: null });
        const took = performance.now() - signalled;
        assert.ok(took < 3_000, `berth exited ${took.toFixed(0)} ms after Ctrl-C`);
        assert.doesNotMatch(berth.output, /starting slow#1: /, "an abandoned start is no failure");
        assert.deepEqual(await projectContainers(engine, dir), []);
      });
    } finally {
      for (const socket of held) socket.destroy();
      registry.close();
    }
  },
);
