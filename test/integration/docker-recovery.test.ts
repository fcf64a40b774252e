// Ownership and recovery of containers (issue 4 point 3), through real `berth up`s and a real
// Docker engine: what a SIGKILLed berth left is removed by the next `berth up` (its port with
// it), or adopted when unchanged and adopt: true; a port held by a container that is not this
// berth's is named in the error; an image that is not there fails clearly. Only 127.0.0.1 is
// ever connected to (the registry of the pull test is 127.0.0.1:1, where nothing listens).
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { freePort } from "../../src/lib/ports.js";
import { BerthProcess, berthSays, writeConfig } from "../support/berth-process.js";
import { buildTestImage, dockerTest } from "../support/docker.js";
import { containerReady, projectContainers, webSiteYaml, yamlLabels } from "../support/docker-berth.js";
import { send } from "../support/http-client.js";

/** Runs `body` with a berth on `yaml`; it and any berth `body` starts again in the same directory are stopped after. */
async function withConfig(
  yaml: string,
  body: (up: () => BerthProcess, dir: string) => Promise<void>,
): Promise<void> {
  const { dir, file } = writeConfig(yaml);
  const started: BerthProcess[] = [];
  try {
    await body(() => {
      const berth = BerthProcess.up(file);
      started.push(berth);
      return berth;
    }, dir);
  } finally {
    for (const berth of started) await berth.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A line of berth's own, about no instance: `[berth] <message>`; `message` is a regex source. */
function berthOwn(message: string): RegExp {
  return new RegExp(`^\\[berth\\] ${message}`);
}

/** How long node takes to load berth's CLI and exit (`berth --version`): the harness's share of a start. */
async function loadTime(dir: string): Promise<number> {
  const started = performance.now();
  const { code } = await BerthProcess.run(["--version"], dir);
  assert.equal(code, 0);
  return performance.now() - started;
}

/** SIGKILLs berth: its container is left running, as after a crash. */
async function crash(berth: BerthProcess): Promise<void> {
  berth.signal("SIGKILL");
  await berth.exited;
}

dockerTest(
  "berth SIGKILLed: its container is left running; the next berth up removes it and serves on the same fixed port within 3 s, without 'port is already allocated'",
  async ({ engine, labels }) => {
    const image = await buildTestImage(engine, "echo-httpd");
    const [site, publish] = [await freePort(), await freePort()];
    const yaml = webSiteYaml(image, labels, site, `publish: ${publish}`);
    await withConfig(yaml, async (up, dir) => {
      const first = up();
      const old = await containerReady(first, "web#1");
      assert.equal(old.port, publish);
      await crash(first);
      const [left] = await projectContainers(engine, dir);
      assert.equal(left?.State, "running", "a SIGKILLed berth cannot stop its container");

      const second = up();
      const spawnedAt = performance.now();
      const removed = await second.waitFor(
        berthOwn("removed 1 container left by an earlier berth: container berth-web-1-"),
      );
      assert.match(removed.text, new RegExp(`\\(${old.id}, web#1, running\\)$`));
      const fresh = await containerReady(second, "web#1");
      assert.notEqual(fresh.id, old.id);
      assert.equal(fresh.port, publish);
      const reply = await send(site, "/landed", { host: "example.test" });
      assert.equal(reply.status, 200);
      const took = performance.now() - spawnedAt;
      const at = (line: { at: number }) => `${(line.at - spawnedAt).toFixed(0)} ms`;
      // The 3 s are berth's; loading it from TypeScript through tsx (about 0.8 s here, a built
      // berth takes a fraction of that) is the test harness's, measured as `berth --version`.
      const loadedIn = await loadTime(dir);
      assert.ok(
        took - loadedIn < 3_000,
        `served ${took.toFixed(0)} ms after berth up was started, of which ${loadedIn.toFixed(0)} ms loading berth (removed at ${at(removed)}, started at ${at(fresh.started)}, ready at ${at(fresh.ready)})`,
      );
      assert.doesNotMatch(second.output, /already allocated|already in use/);
      assert.deepEqual(
        (await projectContainers(engine, dir)).map((c) => c.Id.slice(0, 12)),
        [fresh.id],
      );
    });
  },
);

dockerTest(
  "adopt: true: an unchanged container a SIGKILLed berth left is taken over without a restart; once its config changes it is replaced",
  async ({ engine, labels }) => {
    const image = await buildTestImage(engine, "echo-httpd");
    const yaml = (greeting: string) => `
services:
  web:
    image: ${image}
    port: 80
    adopt: true
    env: { GREETING: ${greeting} }
    labels: ${yamlLabels(labels)}
`;
    await withConfig(yaml("hello"), async (up, dir) => {
      const first = up();
      const old = await containerReady(first, "web#1");
      const startedAt = (await engine.inspectContainer(old.id)).State.StartedAt;
      await crash(first);

      const second = up();
      await second.waitFor(berthOwn(`web#1: adopted container berth-web-1-\\w+ \\(${old.id}\\), unchanged`));
      const adopted = await containerReady(second, "web#1");
      assert.equal(adopted.id, old.id);
      assert.equal(adopted.port, old.port, "it keeps the port it was published on");
      assert.equal((await engine.inspectContainer(old.id)).State.StartedAt, startedAt, "not restarted");
      assert.equal((await send(adopted.port, "/landed", { host: "x" })).status, 200);
      await crash(second);

      // The same directory, another greeting: the config hash differs.
      writeFileSync(join(dir, "berth.yaml"), yaml("changed"));
      const third = up();
      await third.waitFor(
        berthOwn(
          `web#1: removed container berth-web-1-\\w+ \\(${old.id}\\) of an earlier berth: its config changed`,
        ),
      );
      const replaced = await containerReady(third, "web#1");
      assert.notEqual(replaced.id, old.id);
      const env = (await engine.inspectContainer(replaced.id)).Config.Env ?? [];
      assert.ok(env.includes("GREETING=changed"), env.join(" "));
    });
  },
);

dockerTest(
  "adopt: true with a fixed publish port: an unchanged leftover is adopted without a restart on that port; a changed one is replaced, on the same port",
  async ({ engine, labels }) => {
    const image = await buildTestImage(engine, "echo-httpd");
    const publish = await freePort();
    const yaml = (greeting: string) => `
services:
  web:
    image: ${image}
    port: 80
    publish: ${publish}
    adopt: true
    env: { GREETING: ${greeting} }
    backoff: { initial: 200ms, max: 200ms }
    labels: ${yamlLabels(labels)}
`;
    await withConfig(yaml("hello"), async (up, dir) => {
      const first = up();
      const old = await containerReady(first, "web#1");
      assert.equal(old.port, publish);
      const startedAt = (await engine.inspectContainer(old.id)).State.StartedAt;
      await crash(first);

      const second = up();
      await second.waitFor(berthOwn(`web#1: adopted container berth-web-1-\\w+ \\(${old.id}\\), unchanged`));
      const adopted = await containerReady(second, "web#1");
      assert.equal(adopted.id, old.id);
      assert.equal(adopted.port, publish);
      assert.equal((await engine.inspectContainer(old.id)).State.StartedAt, startedAt, "not restarted");
      assert.equal((await send(publish, "/landed", { host: "x" })).status, 200);
      assert.doesNotMatch(second.output, /already allocated|already in use/);
      await crash(second);

      writeFileSync(join(dir, "berth.yaml"), yaml("changed"));
      const third = up();
      await third.waitFor(
        berthOwn(
          `web#1: removed container berth-web-1-\\w+ \\(${old.id}\\) of an earlier berth: its config changed`,
        ),
      );
      const replaced = await containerReady(third, "web#1");
      assert.notEqual(replaced.id, old.id);
      assert.equal(replaced.port, publish);
      const env = (await engine.inspectContainer(replaced.id)).Config.Env ?? [];
      assert.ok(env.includes("GREETING=changed"), env.join(" "));
      assert.equal((await send(publish, "/landed", { host: "x" })).status, 200);
      assert.doesNotMatch(third.output, /already allocated|already in use/);
      assert.deepEqual(
        (await projectContainers(engine, dir)).map((c) => c.Id.slice(0, 12)),
        [replaced.id],
      );
    });
  },
);

dockerTest(
  "a fixed publish port held by a container that is not berth's: the error names the container and its id; berth starts it once the port is free",
  async ({ engine, labels, name }) => {
    const image = await buildTestImage(engine, "echo-httpd");
    const publish = await freePort();
    const squatter = name("squatter");
    const id = await engine.createContainer(squatter, {
      Image: image,
      Labels: labels,
      ExposedPorts: { "80/tcp": {} },
      HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: String(publish) }] } },
    });
    await engine.startContainer(id);
    const yaml = `
services:
  web:
    image: ${image}
    port: 80
    publish: ${publish}
    backoff: { initial: 200ms, max: 200ms }
    labels: ${yamlLabels(labels)}
`;
    await withConfig(yaml, async (up) => {
      const berth = up();
      const failed = await berth.waitFor(
        berthSays("web#1", `starting web#1: port ${publish} is already in use`),
      );
      assert.match(failed.text, new RegExp(`by container ${squatter} \\(${id.slice(0, 12)}\\); `));
      assert.match(failed.text, /or use publish: auto\)$/);
      await engine.removeContainer(id, { force: true });
      const { port } = await containerReady(berth, "web#1", { after: failed });
      assert.equal(port, publish);
    });
  },
);

dockerTest(
  "an image the engine does not have: pull: missing fails naming the image and the registry's answer; pull: never says to build or load it",
  async ({ engine, labels }) => {
    // A registry at 127.0.0.1:1, where nothing listens: the pull fails at once, on loopback.
    const missing = "127.0.0.1:1/berth-test/never-built:none";
    assert.equal(await engine.imageInspect(missing), undefined);
    const yaml = `
services:
  pulled:
    image: ${missing}
    backoff: { initial: 1s, max: 1s }
    labels: ${yamlLabels(labels)}
  local:
    image: ${missing}
    pull: never
    backoff: { initial: 1s, max: 1s }
    labels: ${yamlLabels(labels)}
`;
    await withConfig(yaml, async (up, dir) => {
      const berth = up();
      const pulled = await berth.waitFor(berthSays("pulled#1", "starting pulled#1: "));
      assert.match(
        pulled.text,
        new RegExp(
          `image ${missing.replaceAll(".", "\\.")} is not on this machine, and pulling it failed: .*connection refused.*; build it`,
        ),
      );
      const local = await berth.waitFor(berthSays("local#1", "starting local#1: "));
      assert.match(
        local.text,
        /is not on this machine, and pull: never; build it \(docker build -t .*\) or load it first$/,
      );
      await berth.waitFor(berthSays("pulled#1", "restarting in 1s"));
      assert.deepEqual(await projectContainers(engine, dir), [], "nothing was created");
    });
  },
);

test("no engine at berth up: berth says the engine is not reachable and what to do, not that it was looking for leftovers; so does each start", async () => {
  const { dir, file } = writeConfig(`
services:
  web:
    image: my-site:1
    backoff: { initial: 1s, max: 1s }
`);
  const where = `unix://${dir}/missing.sock`;
  const berth = new BerthProcess(["up", "-c", file], { cwd: dir, env: { DOCKER_HOST: where } });
  const unreachable = `the Docker engine is not reachable at ${where} (ENOENT); start the engine (dockerd), or set DOCKER_HOST to where it listens (unix:///path/to/docker.sock or tcp://host:port)`;
  try {
    const said = await berth.waitFor(berthOwn("the Docker engine "));
    assert.equal(
      said.text,
      `[berth] ${unreachable}; until it answers, image services cannot start and containers an earlier berth left stay where they are`,
    );
    const failed = await berth.waitFor(berthSays("web#1", "starting web#1: "));
    assert.equal(
      failed.text.slice(failed.text.indexOf("starting web#1: ")),
      `starting web#1: ${unreachable}`,
    );
    assert.doesNotMatch(berth.output, /looking for containers/);
  } finally {
    await berth.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
