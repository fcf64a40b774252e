import type { ServiceConfig } from "../config/config.js";
import { expandEnv, expandVars } from "../config/expand.js";
import type { Clock, Timer } from "../lib/clock.js";
import type { SupervisorEventListener } from "./events.js";
import { ExitHistory } from "./exit-history.js";
import { describeExit, type ExitStatus } from "./exit-status.js";
import { HealthCheck } from "./health/health-check.js";
import { createProbe } from "./health/probe.js";
import { type Effect, type InstanceState, type LifecycleEvent, transition } from "./lifecycle.js";
import type { PortAllocator } from "./port-allocator.js";
import { Backoff, shouldRestart } from "./restart-policy.js";
import type { OutputStream, RunningInstance, Runtime } from "./runtime/runtime.js";
import { StopLadder } from "./stop-ladder.js";

export interface InstanceDeps {
  runtime: Runtime;
  clock: Clock;
  ports: PortAllocator;
  emit: SupervisorEventListener;
  output: (instance: string, stream: OutputStream, line: string) => void;
  /** The environment every instance starts from (berth's own). */
  baseEnv: Record<string, string | undefined>;
}

/** When a slow start is first reported; then at twice that, and so on. */
const NOT_READY_NOTICE_MS = 10_000;

/** One run-slot of a Service (`web#2`): performs what the lifecycle table decides. */
export class Instance {
  readonly name: string;
  #state: InstanceState = "idle";
  #running: RunningInstance | undefined;
  #port: number | undefined;
  #spawnedAt = 0;
  #stopStartedAt = 0;
  #lastExit: ExitStatus | undefined;
  #health: HealthCheck | undefined;
  #notReadyTimer: Timer | undefined;
  /** A kill asked for while the spawn was still in flight: the ladder starts at SIGKILL. */
  #killRequested = false;
  #ladder: StopLadder | undefined;
  #restartTimer: Timer | undefined;
  #stateWaiters: (() => void)[] = [];
  readonly #backoff: Backoff;
  readonly history = new ExitHistory();

  constructor(
    readonly service: ServiceConfig,
    readonly index: number,
    private readonly deps: InstanceDeps,
  ) {
    this.name = `${service.name}#${index}`;
    this.#backoff = new Backoff(service.backoff);
  }

  get state(): InstanceState {
    return this.#state;
  }

  get port(): number | undefined {
    return this.#port;
  }

  get pid(): number | undefined {
    return this.#running?.pid;
  }

  /** Why the readiness check has not passed yet, while it runs. */
  get readinessFailure(): string | undefined {
    return this.#health?.lastFailure;
  }

  get lastExit(): ExitStatus | undefined {
    return this.#lastExit;
  }

  start(): void {
    this.#dispatch({ type: "start" });
  }

  /** Resolves once nothing of this instance runs any more. */
  stop(): Promise<void> {
    this.#dispatch({ type: "stop" });
    return this.#until(() => this.#state === "exited" || this.#state === "idle");
  }

  /** Skips the rest of the stop ladder (a second Ctrl-C). */
  kill(): void {
    if (this.#state !== "stopping") return;
    this.#killRequested = true;
    this.#ladder?.escalate();
  }

  #until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (done()) resolve();
        else this.#stateWaiters.push(check);
      };
      this.#stateWaiters.push(check);
    });
  }

  #dispatch(event: LifecycleEvent): void {
    const { next, effects } = transition(this.#state, event);
    this.#state = next;
    for (const effect of effects) this.#perform(effect);
    const waiters = this.#stateWaiters;
    this.#stateWaiters = [];
    for (const waiter of waiters) waiter();
  }

  #perform(effect: Effect): void {
    switch (effect) {
      case "spawn":
        void this.#spawn();
        return;
      case "start_probe":
        this.#startProbe();
        return;
      case "stop_probe":
        this.#stopProbe();
        return;
      case "start_stop_ladder":
        this.#startLadder();
        return;
      case "cancel_stop_ladder":
        this.#ladder?.cancel();
        return;
      case "schedule_restart":
        this.#scheduleRestart();
        return;
      case "cancel_restart":
        this.#restartTimer?.cancel();
        this.#restartTimer = undefined;
        return;
    }
  }

  #ref() {
    return { service: this.service.name, instance: this.name };
  }

  async #spawn(): Promise<void> {
    const { deps, service } = this;
    this.#running = undefined;
    try {
      this.#port = await deps.ports.portFor(this.name, service.port, this.#port);
      const env = this.#environment();
      const running = await deps.runtime.start({
        instance: this.name,
        service: service.name,
        argv: service.command.map((word) => expandVars(word, env)),
        cwd: service.cwd,
        env,
        onOutput: (stream, line) => deps.output(this.name, stream, line),
      });
      this.#running = running;
      this.#spawnedAt = deps.clock.now();
      deps.emit({ ...this.#ref(), type: "InstanceStarted", label: running.label, port: this.#port });
      void running.ended.then(async (end) => {
        // The time it ended, not the time the sweep after it finished (which can take a while).
        const at = deps.clock.now();
        const killed = await running.cleanup();
        if (killed > 0) deps.emit({ ...this.#ref(), type: "InstanceLeftoversKilled", count: killed });
        this.#ended({ ...end, at, ranMs: at - this.#spawnedAt });
      });
      this.#dispatch({ type: "spawned" });
    } catch (error) {
      const reason = `starting ${this.name}: ${(error as Error).message}`;
      deps.emit({ ...this.#ref(), type: "InstanceStartFailed", reason });
      const status: ExitStatus = { code: null, signal: null, error: reason, at: deps.clock.now(), ranMs: 0 };
      this.#lastExit = status;
      this.history.record(status);
      this.#dispatch({ type: "spawn_failed", restart: shouldRestart(service.restart, status) });
    }
  }

  #environment(): Record<string, string> {
    const vars: Record<string, string | undefined> = { ...this.deps.baseEnv };
    if (this.#port !== undefined) vars.PORT = String(this.#port);
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(vars)) if (value !== undefined) env[key] = value;
    return { ...env, ...expandEnv(this.service.env, vars) };
  }

  #ended(status: ExitStatus): void {
    this.#lastExit = status;
    this.history.record(status);
    if (this.#state === "stopping") {
      this.deps.emit({
        ...this.#ref(),
        type: "InstanceStopped",
        signal: this.#ladder?.lastSignal,
        afterMs: status.at - this.#stopStartedAt,
        status,
      });
      this.#dispatch({ type: "exited", restart: false });
      return;
    }
    const restart = shouldRestart(this.service.restart, status);
    this.deps.emit({ ...this.#ref(), type: "InstanceExited", status, willRestart: restart });
    this.#dispatch({ type: "exited", restart });
  }

  #startProbe(): void {
    const { service, deps } = this;
    const ready = service.ready;
    const env = this.#environment();
    const probe = createProbe(
      ready.kind === "exec" ? { ...ready, argv: ready.argv.map((word) => expandVars(word, env)) } : ready,
    );
    const markReady = () => {
      // The state first: listeners (the supervisor, starting dependents) read it on the event.
      this.#dispatch({ type: "probe_passed" });
      if (this.#state !== "ready") return; // stale: it ended or is stopping meanwhile
      deps.emit({
        ...this.#ref(),
        type: "InstanceReady",
        port: this.#port,
        afterMs: deps.clock.now() - this.#spawnedAt,
      });
    };
    if (!probe || ready.kind === "none") {
      queueMicrotask(markReady);
      return;
    }
    this.#health = new HealthCheck({
      probe,
      target: { host: "127.0.0.1", port: this.#port, cwd: service.cwd, env },
      intervalMs: ready.intervalMs,
      timeoutMs: ready.timeoutMs,
      clock: deps.clock,
      onReady: () => {
        this.#stopProbe();
        markReady();
      },
    });
    this.#health.start();
    this.#noticeNotReady(NOT_READY_NOTICE_MS);
  }

  /** Says so when readiness takes long, with the probe's last failure; then less and less often. */
  #noticeNotReady(afterMs: number): void {
    this.#notReadyTimer = this.deps.clock.setTimer(
      afterMs - (this.deps.clock.now() - this.#spawnedAt),
      () => {
        this.deps.emit({
          ...this.#ref(),
          type: "InstanceNotReady",
          afterMs,
          reason: this.#health?.lastFailure ?? "no probe has finished yet",
        });
        this.#noticeNotReady(afterMs * 2);
      },
    );
  }

  #stopProbe(): void {
    this.#health?.stop();
    this.#health = undefined;
    this.#notReadyTimer?.cancel();
    this.#notReadyTimer = undefined;
  }

  #startLadder(): void {
    const running = this.#running;
    if (!running) return;
    this.#stopStartedAt = this.deps.clock.now();
    this.#ladder = new StopLadder(this.service.stop, this.deps.clock, (signal, atMs) => {
      this.deps.emit({ ...this.#ref(), type: "InstanceStopSignal", signal, atMs });
      running.signal(signal);
    });
    this.#ladder.start();
    if (this.#killRequested) this.#ladder.escalate();
  }

  #scheduleRestart(): void {
    const last = this.#lastExit!;
    const delayMs = this.#backoff.next(last);
    this.deps.emit({
      ...this.#ref(),
      type: "ServiceBackoff",
      delayMs,
      reason: describeExit(last),
      recentExits: this.history.summary(),
    });
    this.#restartTimer = this.deps.clock.setTimer(delayMs, () => {
      this.#restartTimer = undefined;
      this.#dispatch({ type: "backoff_elapsed" });
    });
  }
}
