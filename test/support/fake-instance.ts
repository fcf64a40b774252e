// Fixtures for the Instance unit tests: a fake Runtime whose runs the test ends and signals by
// hand, a ServiceConfig with test defaults, and an Instance wired to both and a FakeClock.
import type { ServiceConfig } from "../../src/config/config.js";
import { FakeClock } from "../../src/lib/clock.js";
import type { SupervisorEvent } from "../../src/supervisor/events.js";
import { Instance, type InstanceDeps } from "../../src/supervisor/instance.js";
import { PortAllocator } from "../../src/supervisor/port-allocator.js";
import type { RunEnd, RunningInstance, Runtime } from "../../src/supervisor/runtime/runtime.js";

export const service = (fields: Partial<ServiceConfig> = {}): ServiceConfig => ({
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
  drainTimeoutMs: 10_000,
  logs: { enabled: false, maxBytes: 1, keep: 0 },
  ...fields,
});

export class FakeRun implements RunningInstance {
  readonly label = "fake";
  readonly signals: NodeJS.Signals[] = [];
  /** Whether the rest of its process group still runs after the main process ended. */
  groupAlive = false;
  end!: (end: RunEnd) => void;
  readonly ended = new Promise<RunEnd>((resolve) => {
    this.end = resolve;
  });
  #cleaned!: (killed: number) => void;
  readonly #cleanup = new Promise<number>((resolve) => {
    this.#cleaned = resolve;
  });
  /** Until finishCleanup() (or at once, when autoCleanup), the sweep after the end is "running". */
  autoCleanup = true;
  cleanupCalls = 0;
  signal(signal: NodeJS.Signals) {
    this.signals.push(signal);
    if (signal === "SIGKILL") this.groupAlive = false;
  }
  alive() {
    return this.groupAlive;
  }
  cleanup() {
    this.cleanupCalls++;
    if (this.autoCleanup) this.#cleaned(0);
    return this.#cleanup;
  }
  finishCleanup() {
    this.#cleaned(0);
  }
}

export class FakeRuntime implements Runtime {
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

export function setup(config: ServiceConfig, drain?: InstanceDeps["drain"]) {
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
    runId: "test",
    drain,
  });
  return { clock, runtime, events, instance };
}

export const settle = () => new Promise((resolve) => setImmediate(resolve));
