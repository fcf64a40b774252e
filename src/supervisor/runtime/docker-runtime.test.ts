// The DockerRuntime against an engine in memory (test/support/fake-engine.ts): what it does when
// an engine call fails or is cut short, which the real engine in test/integration/docker-*.test.ts
// cannot be made to do on cue. Leftovers, adoption, a lost create answer, a stop during a start.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeEngine, IMAGE_ID, summary } from "../../../test/support/fake-engine.js";
import { LABEL, projectId } from "../../docker/berth-labels.js";
import { EngineClient } from "../../docker/engine-client.js";
import { EngineConnectionError, EngineError } from "../../docker/engine-error.js";
import { configHash } from "./docker-labels.js";
import { DockerRuntime } from "./docker-runtime.js";
import type { ContainerSpec, InstanceSpec } from "./runtime.js";

const STATE_DIR = "/srv/app/.berth";

function container(fields: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    image: "my-site:1",
    publish: { kind: "auto" },
    volumes: [],
    init: true,
    pull: "missing",
    labels: {},
    keep: false,
    adopt: true,
    command: [],
    env: {},
    port: 80,
    hostPort: 41234,
    stopSignal: "SIGTERM",
    stopTimeoutS: 10,
    ...fields,
  };
}

function instance(spec: ContainerSpec, signal?: AbortSignal): InstanceSpec {
  return {
    instance: "web#1",
    service: "web",
    argv: [],
    cwd: "/",
    env: {},
    container: spec,
    onOutput: () => {},
    ...(signal && { signal }),
  };
}

/** A running container an earlier berth (run "old") left for web#1, made from `spec`. */
function leftover(spec: ContainerSpec, id = "0ld000000001") {
  return summary(
    id,
    "berth-web-1-aaaaaa",
    "running",
    {
      [LABEL.project]: projectId(STATE_DIR),
      [LABEL.instance]: "web#1",
      [LABEL.service]: "web",
      [LABEL.run]: "old",
      [LABEL.configHash]: configHash(spec, IMAGE_ID),
    },
    41234,
  );
}

function runtime(engine: FakeEngine, reports: string[] = []) {
  return new DockerRuntime({
    connect: () => engine.client,
    stateDir: STATE_DIR,
    runId: "new",
    adoptable: (name) => name === "web#1",
    report: (message) => reports.push(message),
  });
}

const timeout = (what: string) => EngineConnectionError.timeout(what, "unix:///var/run/docker.sock", 30_000);
const creates = (engine: FakeEngine) => engine.calls.filter((c) => c.startsWith("create "));
const settle = () => new Promise((resolve) => setImmediate(resolve));

test("an adoption the engine failed keeps the leftover: the next start adopts it, and no second container is made", async () => {
  const spec = container();
  const engine = new FakeEngine();
  engine.containers = [leftover(spec)];
  const docker = runtime(engine);
  await docker.recover();
  const inspect = engine.inspectContainer.bind(engine);
  let failures = 1;
  engine.inspectContainer = async (id) => {
    if (failures-- > 0) throw timeout(`inspecting container ${id}`);
    return inspect(id);
  };
  await assert.rejects(docker.start(instance(spec)), /inspecting container 0ld000000001: .*did not answer/);
  assert.ok(!engine.calls.includes("remove 0ld000000001"), "not removed: it may still be adopted");

  const run = await docker.start(instance(spec));
  assert.equal(run.label, "container 0ld000000001");
  assert.deepEqual(creates(engine), [], "no duplicate");
});

test("an adoption the engine failed, then berth stops: close() removes the leftover, no orphan", async () => {
  const spec = container();
  const engine = new FakeEngine();
  engine.containers = [leftover(spec)];
  const docker = runtime(engine);
  await docker.recover();
  engine.startWaiting = async (id) => {
    throw timeout(`waiting for container ${id}`);
  };
  await assert.rejects(docker.start(instance(spec)), /did not answer/);
  await docker.close();
  assert.ok(engine.calls.includes("remove 0ld000000001"), engine.calls.join(", "));
});

test("a leftover that is not running any more, or gone, is not called changed: the line says what happened", async () => {
  const spec = container();
  const stopped = new FakeEngine();
  stopped.containers = [leftover(spec)];
  const inspect = stopped.inspectContainer.bind(stopped);
  stopped.inspectContainer = async (id) => {
    const found = await inspect(id);
    return { ...found, State: { ...found.State, Running: false, Status: "exited", ExitCode: 137 } };
  };
  const reports: string[] = [];
  const docker = runtime(stopped, reports);
  await docker.start(instance(spec));
  assert.match(
    reports.join("\n"),
    /web#1: removed container berth-web-1-aaaaaa \(0ld000000001\) of an earlier berth: it is no longer running \(exited with code 137\)/,
  );
  assert.doesNotMatch(reports.join("\n"), /config changed/);
  assert.equal(creates(stopped).length, 1);

  const gone = new FakeEngine();
  gone.containers = [leftover(spec)];
  const wait = gone.startWaiting.bind(gone);
  gone.startWaiting = async (id) => {
    if (id === "0ld000000001")
      throw new EngineError(`waiting for container ${id}`, 404, `No such container: ${id}`);
    return wait(id);
  };
  const goneReports: string[] = [];
  await runtime(gone, goneReports).start(instance(spec));
  assert.match(
    goneReports.join("\n"),
    /web#1: container berth-web-1-aaaaaa \(0ld000000001\) of an earlier berth is gone; starting a new one/,
  );
  assert.equal(creates(gone).length, 1);
});

test("a changed leftover is removed, saying its config changed", async () => {
  const engine = new FakeEngine();
  engine.containers = [leftover(container({ env: { GREETING: "hello" } }))];
  const reports: string[] = [];
  await runtime(engine, reports).start(instance(container({ env: { GREETING: "changed" } })));
  assert.match(
    reports.join("\n"),
    /removed container berth-web-1-aaaaaa \(0ld000000001\) .*: its config changed/,
  );
  assert.ok(
    engine.calls.indexOf("remove 0ld000000001") < engine.calls.findIndex((c) => c.startsWith("create ")),
  );
});

test("the create's answer lost (a timeout): the container it may have made is removed by its name", async () => {
  const engine = new FakeEngine();
  engine.createContainer = async (name) => {
    engine.calls.push(`create ${name}`);
    throw timeout(`creating container ${name}`);
  };
  await assert.rejects(runtime(engine).start(instance(container({ adopt: false }))), /did not answer/);
  const [create] = creates(engine);
  const name = create!.slice("create ".length);
  assert.match(name, /^berth-web-1-[0-9a-f]{6}$/);
  assert.ok(engine.calls.includes(`remove ${name}`), engine.calls.join(", "));
});

test("stopped during a slow pull: the pull is abandoned at once, and no container is created", async () => {
  const engine = new FakeEngine();
  engine.image = undefined;
  engine.pullImage = (ref, options = {}) => {
    engine.calls.push(`pull ${ref}`);
    // A registry that never answers: only an abort ends it.
    return new Promise((_resolve, reject) => {
      options.signal?.addEventListener("abort", () => reject(options.signal!.reason));
    });
  };
  const stop = new AbortController();
  const starting = runtime(engine).start(instance(container(), stop.signal));
  for (let i = 0; i < 50 && !engine.calls.includes("pull my-site:1"); i++) await settle();
  assert.ok(engine.calls.includes("pull my-site:1"), engine.calls.join(", "));
  stop.abort(new Error("stopped while starting"));
  const outcome = await Promise.race([
    starting.then(
      () => "started",
      (error: Error) => `failed: ${error.message}`,
    ),
    new Promise((resolve) => setTimeout(resolve, 1_000, "still pulling after 1 s")),
  ]);
  assert.equal(outcome, "failed: stopped while starting");
  assert.deepEqual(creates(engine), []);
});

test("stopped before the create: no container is created", async () => {
  const engine = new FakeEngine();
  const stop = new AbortController();
  const found = engine.image;
  engine.imageInspect = async (ref) => {
    engine.calls.push(`image ${ref}`);
    stop.abort(new Error("stopped while starting"));
    return found;
  };
  await assert.rejects(runtime(engine).start(instance(container(), stop.signal)), /stopped while starting/);
  assert.deepEqual(creates(engine), []);
});

test("stopped while the create is in flight: the container it makes is removed by its name", async () => {
  const engine = new FakeEngine();
  const stop = new AbortController();
  engine.createContainer = (name, _body, options: { signal?: AbortSignal } = {}) => {
    engine.calls.push(`create ${name}`);
    return new Promise((_resolve, reject) => {
      options.signal?.addEventListener("abort", () => reject(options.signal!.reason));
    });
  };
  const starting = runtime(engine).start(instance(container({ adopt: false }), stop.signal));
  for (let i = 0; i < 50 && creates(engine).length === 0; i++) await settle();
  stop.abort(new Error("stopped while starting"));
  await assert.rejects(starting, /stopped while starting/);
  const name = creates(engine)[0]!.slice("create ".length);
  assert.ok(engine.calls.includes(`remove ${name}`), engine.calls.join(", "));
});

test("a port the engine says is allocated: '(or use publish: auto)' only when the port is fixed", async () => {
  const allocated = (engine: FakeEngine) => {
    engine.startContainer = async (id) => {
      throw new EngineError(
        `starting container ${id}`,
        500,
        "driver failed programming external connectivity on endpoint x: Bind for 127.0.0.1:41234 failed: port is already allocated",
      );
    };
  };
  const auto = new FakeEngine();
  allocated(auto);
  await assert.rejects(runtime(auto).start(instance(container({ adopt: false }))), (error: Error) => {
    assert.match(error.message, /^port 41234 is already in use/);
    assert.doesNotMatch(error.message, /publish: auto/);
    return true;
  });
  const fixed = new FakeEngine();
  allocated(fixed);
  await assert.rejects(
    runtime(fixed).start(instance(container({ adopt: false, publish: { kind: "fixed", port: 41234 } }))),
    /^StartError: port 41234 is already in use.* \(or use publish: auto\)$/,
  );
});

test("the engine down at a start: said as such, with what to do, not as a search for leftovers", async () => {
  const docker = new DockerRuntime({
    connect: () => new EngineClient({ address: { kind: "unix", socketPath: "/nonexistent/docker.sock" } }),
    stateDir: STATE_DIR,
    runId: "new",
    adoptable: () => false,
    report: () => {},
  });
  await assert.rejects(docker.start(instance(container())), (error: Error) => {
    assert.equal(
      error.message,
      "the Docker engine is not reachable at unix:///nonexistent/docker.sock (ENOENT); start the engine (dockerd), or set DOCKER_HOST to where it listens (unix:///path/to/docker.sock or tcp://host:port)",
    );
    return true;
  });
  await docker.close();
});

test("the host port an adoptable leftover holds is told, so a fixed publish: may be handed to its instance", async () => {
  const spec = container({ publish: { kind: "fixed", port: 41234 } });
  const engine = new FakeEngine();
  engine.containers = [leftover(spec)];
  const docker = runtime(engine);
  assert.equal(await docker.adoptionPort("web#1"), 41234);
  assert.equal(await docker.adoptionPort("web#2"), undefined);
});
