import assert from "node:assert/strict";
import { test } from "node:test";
import type { ServiceConfig } from "../config/config.js";
import { FakeClock } from "../lib/clock.js";
import type { SupervisorEvent } from "./events.js";
import { Instance } from "./instance.js";
import { PortAllocator } from "./port-allocator.js";
import type { RunEnd, RunningInstance, Runtime } from "./runtime/runtime.js";

// The Instance against a fake Runtime and a FakeClock: the effects of the lifecycle table,
// with time under the test's control. Real processes are in test/integration/.

const service = (fields: Partial<ServiceConfig> = {}): ServiceConfig => ({
  name: "web",
  command: ["web"],
  cwd: "/",
  env: {},
  replicas: 1,
  port: { kind: "none" },
  dependsOn: [],
  ready: { kind: "none" },
  restart: "always",
  backoff: { initialMs: 100, maxMs: 1000, resetAfterMs: 10_000 },
  stop: {
    steps: [
      { signal: "SIGTERM", atMs: 0 },
      { signal: "SIGKILL", atMs: 10_000 },
    ],
  },
  logs: { enabled: false, maxBytes: 1, keep: 0 },
  ...fields,
});

class FakeRun implements RunningInstance {
  readonly label = "fake";
  readonly signals: NodeJS.Signals[] = [];
  end!: (end: RunEnd) => void;
  readonly ended = new Promise<RunEnd>((resolve) => {
    this.end = resolve;
  });
  signal(signal: NodeJS.Signals) {
    this.signals.push(signal);
  }
  cleanup() {
    return Promise.resolve(0);
  }
}

class FakeRuntime implements Runtime {
  readonly runs: FakeRun[] = [];
  #held: Promise<void> | undefined;

  async start() {
    await this.#held;
    const run = new FakeRun();
    this.runs.push(run);
    return run;
  }

  /** Until the returned function is called, start() does not finish: the spawn is in flight. */
  holdStarts(): () => void {
    let release!: () => void;
    this.#held = new Promise((resolve) => {
      release = resolve;
    });
    return () => {
      this.#held = undefined;
      release();
    };
  }
}

function setup(config: ServiceConfig) {
  const clock = new FakeClock();
  const runtime = new FakeRuntime();
  const events: SupervisorEvent[] = [];
  const instance = new Instance(config, 1, {
    runtime,
    clock,
    ports: new PortAllocator(),
    emit: (e) => events.push(e),
    output: () => {},
    baseEnv: {},
  });
  return { clock, runtime, events, instance };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test("a crash is restarted after the backoff delay, not before", async () => {
  const { clock, runtime, instance, events } = setup(service());
  instance.start();
  await settle();
  runtime.runs[0]!.end({ code: 1, signal: null });
  await settle();
  assert.equal(instance.state, "backoff");
  assert.deepEqual(
    events.filter((e) => e.type === "ServiceBackoff").map((e) => e.type === "ServiceBackoff" && e.delayMs),
    [100],
  );
  clock.advance(99);
  await settle();
  assert.equal(runtime.runs.length, 1);
  clock.advance(1);
  await settle();
  assert.equal(runtime.runs.length, 2);
});

test("a kill asked for while the spawn is in flight sends SIGKILL as soon as it lands", async () => {
  const { runtime, instance } = setup(service());
  const release = runtime.holdStarts();
  instance.start();
  const stopped = instance.stop();
  instance.kill();
  release();
  await settle();
  const run = runtime.runs[0]!;
  assert.deepEqual(run.signals, ["SIGTERM", "SIGKILL"], "no waiting for the 10s step");
  run.end({ code: null, signal: "SIGKILL" });
  await stopped;
  assert.equal(instance.state, "exited");
});

test("a slow start is reported at 10s and 20s with the probe's last failure", async () => {
  const { clock, runtime, instance, events } = setup(
    service({ port: { kind: "auto" }, ready: { kind: "tcp", intervalMs: 60_000, timeoutMs: 500 } }),
  );
  instance.start();
  // The first connect is real I/O: nothing listens on the port, so it is refused; the next
  // attempt is due only after the 30s this test covers.
  for (let i = 0; i < 1000 && !instance.readinessFailure; i++) await new Promise((r) => setTimeout(r, 2));
  clock.advance(10_000);
  clock.advance(20_000);
  const notices = events.flatMap((e) => (e.type === "InstanceNotReady" ? [e] : []));
  assert.deepEqual(
    notices.map((e) => e.afterMs),
    [10_000, 20_000],
  );
  assert.match(notices[0]!.reason, /ECONNREFUSED/);
  const stopped = instance.stop();
  runtime.runs[0]!.end({ code: 0, signal: null });
  await stopped;
  assert.equal(clock.pending(), 0, "no notice, probe or ladder timer is left behind");
});
