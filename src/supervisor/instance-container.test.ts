// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is berth's own syntax, written literally here.
// An Instance of an image service against a fake Runtime: what it asks the runtime to create
// (the container's spec), the host port it uses, and the runtime's say over readiness. The real
// engine is in test/integration/docker-*.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeRun, service, settle } from "../../test/support/fake-instance.js";
import type { ProbeConfig } from "../config/config.js";
import { FakeClock } from "../lib/clock.js";
import type { SupervisorEvent } from "./events.js";
import type { Probe } from "./health/probe.js";
import { Instance } from "./instance.js";
import { PortAllocator } from "./port-allocator.js";
import type { InstanceSpec, Runtime } from "./runtime/runtime.js";

const image = service({
  command: ["httpd", "-p", "${PORT}"],
  env: { GREETING: "hi ${WHO}" },
  port: { kind: "fixed", port: 80 },
  ready: { kind: "tcp", intervalMs: 100, timeoutMs: 1_000 },
  stop: {
    steps: [
      { signal: "SIGINT", atMs: 0 },
      { signal: "SIGTERM", atMs: 2_000 },
      { signal: "SIGKILL", atMs: 4_500 },
    ],
  },
  container: {
    image: "my-site:1",
    publish: { kind: "auto" },
    volumes: [],
    init: true,
    pull: "never",
    labels: {},
    keep: false,
    adopt: false,
  },
});

/** A run the runtime decided more about: its own host port, its own readiness probe. */
class DecidingRun extends FakeRun {
  readonly asked: { configured: Probe | undefined; config: ProbeConfig }[] = [];
  constructor(
    readonly port: number | undefined,
    private readonly probe: Probe,
  ) {
    super();
  }
  readiness(configured: Probe | undefined, config: ProbeConfig): Probe {
    this.asked.push({ configured, config });
    return this.probe;
  }
}

function setup(run: FakeRun) {
  const specs: InstanceSpec[] = [];
  const runtime: Runtime = {
    start: async (spec) => {
      specs.push(spec);
      return run;
    },
  };
  const events: SupervisorEvent[] = [];
  const instance = new Instance(image, 1, {
    runtime,
    clock: new FakeClock(),
    ports: new PortAllocator(),
    emit: (e) => events.push(e),
    output: () => {},
    baseEnv: { WHO: "you", SECRET: "berth's own" },
    runId: "test",
  });
  return { specs, events, instance };
}

test("the container spec: the service's env only, ${PORT} inside is port:, published on a free host port, the ladder's first signal as StopSignal", async () => {
  const passes: Probe = { run: async () => ({ ok: true }) };
  const { specs, instance } = setup(new DecidingRun(undefined, passes));
  instance.start();
  await settle();
  const spec = specs[0]!;
  const container = spec.container!;
  assert.deepEqual(container.command, ["httpd", "-p", "80"]);
  assert.deepEqual(container.env, { GREETING: "hi you" }, "berth's environment stays outside");
  assert.equal(container.port, 80);
  assert.equal(typeof container.hostPort, "number");
  assert.notEqual(container.hostPort, 80);
  assert.equal(container.image, "my-site:1");
  assert.equal(container.stopSignal, "SIGINT");
  assert.equal(container.stopTimeoutS, 5, "4.5s from the first signal to SIGKILL, in whole seconds");
  assert.equal(
    spec.env.PORT,
    String(container.hostPort),
    "exec probes run on the host: $PORT is the host port",
  );
});

test("the runtime's port and readiness probe win: the proxy is told that port, readiness is what the runtime says", async () => {
  let probed: { port?: number } | undefined;
  const probe: Probe = {
    run: async (target) => {
      probed = { port: target.port };
      return { ok: true };
    },
  };
  const run = new DecidingRun(45_678, probe);
  const { events, instance } = setup(run);
  instance.start();
  for (let i = 0; i < 20 && instance.state !== "ready"; i++) await settle();
  assert.equal(instance.state, "ready");
  assert.equal(instance.port, 45_678);
  assert.equal(run.asked.length, 1);
  assert.equal(run.asked[0]!.config.kind, "tcp");
  assert.ok(run.asked[0]!.configured, "the configured probe is handed over");
  assert.deepEqual(probed, { port: 45_678 });
  const started = events.find((e) => e.type === "InstanceStarted");
  const ready = events.find((e) => e.type === "InstanceReady");
  assert.equal(started?.type === "InstanceStarted" && started.port, 45_678);
  assert.equal(ready?.type === "InstanceReady" && ready.port, 45_678);
});

test("ready: none, and the runtime still has a probe (a HEALTHCHECK): not ready until it passes", async () => {
  let pass = false;
  const probe: Probe = { run: async () => (pass ? { ok: true } : { ok: false, reason: "starting" }) };
  const run = new DecidingRun(undefined, probe);
  const specs: InstanceSpec[] = [];
  const clock = new FakeClock();
  const instance = new Instance({ ...image, ready: { kind: "none" } }, 1, {
    runtime: {
      start: async (spec) => {
        specs.push(spec);
        return run;
      },
    },
    clock,
    ports: new PortAllocator(),
    emit: () => {},
    output: () => {},
    baseEnv: { WHO: "you" },
    runId: "test",
  });
  instance.start();
  for (let i = 0; i < 20 && instance.readinessFailure === undefined; i++) await settle();
  assert.equal(instance.state, "running");
  assert.equal(instance.readinessFailure, "starting");
  pass = true;
  clock.advance(100);
  const isReady = () => instance.state === "ready";
  for (let i = 0; i < 20 && !isReady(); i++) await settle();
  assert.ok(isReady(), `state ${instance.state}`);
});

test("a stop while the runtime is still starting the instance aborts the start's signal; the abandoned start is no failure", async () => {
  const specs: InstanceSpec[] = [];
  const events: SupervisorEvent[] = [];
  const instance = new Instance(image, 1, {
    runtime: {
      // A slow pull: only the abort ends it.
      start: (spec) => {
        specs.push(spec);
        return new Promise((_resolve, reject) => {
          spec.signal?.addEventListener("abort", () => reject(spec.signal!.reason));
        });
      },
    },
    clock: new FakeClock(),
    ports: new PortAllocator(),
    emit: (e) => events.push(e),
    output: () => {},
    baseEnv: { WHO: "you" },
    runId: "test",
  });
  instance.start();
  for (let i = 0; i < 20 && specs.length === 0; i++) await settle();
  const signal = specs[0]?.signal;
  assert.ok(signal, "the runtime is given a signal");
  assert.equal(signal.aborted, false);
  const stopped = instance.stop();
  assert.equal(signal.aborted, true);
  await stopped;
  assert.equal(instance.state, "exited");
  assert.deepEqual(
    events.filter((e) => e.type === "InstanceStartFailed"),
    [],
    "a start abandoned for a stop is not a failure to start",
  );
});
