import type { ServiceConfig } from "../config/config.js";
import { DEFAULT_PROBE_INTERVAL_MS, DEFAULT_PROBE_TIMEOUT_MS } from "../config/probe.js";
import type { Clock, Timer } from "../lib/clock.js";
import { DrainWait } from "./drain-wait.js";
import type { InstanceRef, SupervisorEventListener } from "./events.js";
import { ExitHistory } from "./exit-history.js";
import { describeExit, type ExitStatus } from "./exit-status.js";
import { HealthCheck } from "./health/health-check.js";
import { createProbe } from "./health/probe.js";
import { containerSpec, type LaunchPlan, launchPlan } from "./instance-environment.js";
import { type Effect, type InstanceState, type LifecycleEvent, transition } from "./lifecycle.js";
import type { PortAllocator } from "./port-allocator.js";
import { Backoff, shouldRestart } from "./restart-policy.js";
import { resolveExecutable } from "./runtime/executable.js";
import {
  type OutputStream,
  type RunEnd,
  type RunningInstance,
  type Runtime,
  StartError,
} from "./runtime/runtime.js";
import { StopLadder } from "./stop-ladder.js";

export interface InstanceDeps {
  runtime: Runtime;
  clock: Clock;
  ports: PortAllocator;
  emit: SupervisorEventListener;
  output: (instance: string, stream: OutputStream, line: string) => void;
  /** The environment every instance starts from (berth's own). */
  baseEnv: Record<string, string | undefined>;
  /** This berth run's id: every process of an instance carries `<runId>/<instance>`. */
  runId: string;
  /** Called after every change of state, once its effects have started. */
  stateChanged?: () => void;
  /**
   * Resolves once the instance, out of rotation, has no request in flight (the proxy's).
   * Without it a stop sends its first signal at once.
   */
  drain?: (instance: InstanceRef) => Promise<void>;
}

/** The exec probe's program, found before anything starts: a missing one is a failure to start. */
function readinessProgram(name: string, cwd: string, path: string | undefined): string {
  try {
    return resolveExecutable(name, cwd, path);
  } catch (error) {
    throw new StartError(`the readiness check (ready.exec): ${(error as Error).message}`);
  }
}

/** When a slow start is first reported; then at twice that, and so on. */
const NOT_READY_NOTICE_MS = 10_000;
/** How often a stop looks whether the rest of the process group has finished. */
const GROUP_POLL_MS = 20;

/** One run-slot of a Service (`web#2`): performs what the lifecycle table decides. */
export class Instance {
  readonly name: string;
  #state: InstanceState = "idle";
  /** Desired state: false once a stop was asked for, so no exit is followed by a restart. */
  #wantUp = false;
  #running: RunningInstance | undefined;
  #plan: LaunchPlan | undefined;
  #port: number | undefined;
  #spawnedAt = 0;
  /** When the current run's stop began: its drain, or its ladder if there was none. */
  #stopStartedAt: number | undefined;
  #ladderStartedAt: number | undefined;
  /** The current run's main process has ended (the rest of its group may still run). */
  #runEnded = false;
  #drainWait: DrainWait | undefined;
  #lastExit: ExitStatus | undefined;
  #health: HealthCheck | undefined;
  #notReadyTimer: Timer | undefined;
  #ladder: StopLadder | undefined;
  /** A kill asked for while the spawn was still in flight: the ladder starts at SIGKILL. */
  #killRequested = false;
  /** The spawn in flight: a stop aborts it, so the runtime gives up a slow start. */
  #spawning: AbortController | undefined;
  #restartTimer: Timer | undefined;
  /** The reason of the last failure to start, while starting keeps failing: said in full once. */
  #startFailure: string | undefined;
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

  start(): void {
    this.#wantUp = true;
    this.#dispatch({ type: "start" });
  }

  /** Resolves once nothing of this instance runs any more. */
  stop(): Promise<void> {
    this.#wantUp = false;
    this.#dispatch({ type: "stop" });
    if (this.#state === "stopping") this.#spawning?.abort(new StartError("stopped while starting"));
    return this.#until(() => this.#state === "exited" || this.#state === "idle");
  }

  /** Resolves once a start has settled: the instance is ready, or waits to try again, or ended. */
  started(): Promise<void> {
    return this.#until(
      () => this.#state === "ready" || this.#state === "backoff" || this.#state === "exited",
    );
  }

  /** No more restarts (berth is shutting down); a pending restart is dropped, a running instance left as it is. */
  stayDown(): void {
    this.#wantUp = false;
    if (this.#state === "backoff") this.#dispatch({ type: "stop" });
  }

  /** Skips the drain and the rest of the stop ladder (a second Ctrl-C). */
  kill(): void {
    if (this.#state !== "stopping") return;
    this.#killRequested = true;
    // Cut short, the drain starts the ladder, which escalates at once on #killRequested.
    if (this.#drainWait) this.#drainWait.cutShort();
    else this.#ladder?.escalate();
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
    const changed = next !== this.#state;
    this.#state = next;
    for (const effect of effects) this.#perform(effect);
    const waiters = this.#stateWaiters;
    this.#stateWaiters = [];
    for (const waiter of waiters) waiter();
    if (changed) this.deps.stateChanged?.();
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
      case "start_drain":
        this.#startDrain();
        return;
      case "cancel_drain":
        this.#drainWait?.cancel();
        this.#drainWait = undefined;
        return;
      case "start_stop_ladder":
        this.#startLadder();
        return;
      case "cancel_stop_ladder":
        this.#ladder?.cancel();
        return;
      case "clean_up":
        void this.#cleanUp();
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

  #ref(): InstanceRef {
    return { service: this.service.name, instance: this.name };
  }

  async #spawn(): Promise<void> {
    const { deps, service } = this;
    this.#running = undefined;
    this.#ladder = undefined;
    this.#killRequested = false;
    this.#stopStartedAt = undefined;
    this.#ladderStartedAt = undefined;
    this.#runEnded = false;
    const spawning = new AbortController();
    this.#spawning = spawning;
    let running: RunningInstance;
    try {
      // A container's port: is inside it; what the proxy reaches is the host port it is published on.
      const [hostPort, key] = service.container
        ? ([service.container.publish, "publish"] as const)
        : ([service.port, "port"] as const);
      this.#port = await deps.ports.portFor(this.name, hostPort, this.#port, key);
      this.#plan = launchPlan(service, deps.baseEnv, `${deps.runId}/${this.name}`, this.#port);
      const probe = this.#plan.probeArgv;
      if (probe?.[0]) probe[0] = readinessProgram(probe[0], service.cwd, this.#plan.env.PATH);
      // Stopped while the port was being found: there is nothing to start any more.
      if (this.#state !== "starting") {
        this.#dispatch({ type: "spawn_failed", restart: false });
        return;
      }
      running = await deps.runtime.start({
        instance: this.name,
        service: service.name,
        argv: this.#plan.argv,
        cwd: service.cwd,
        env: this.#plan.env,
        ...(service.container && { container: containerSpec(service, this.#plan, this.#port) }),
        onOutput: (stream, line) => deps.output(this.name, stream, line),
        signal: spawning.signal,
      });
      if (running.port !== undefined) this.#port = running.port;
    } catch (error) {
      // Given up because a stop came: not a failure to start, just nothing to stop.
      if (spawning.signal.aborted && this.#state === "stopping") {
        this.#dispatch({ type: "spawn_failed", restart: false });
        return;
      }
      this.#startFailed(`starting ${this.name}: ${(error as Error).message}`);
      return;
    } finally {
      this.#spawning = undefined;
    }
    this.#running = running;
    this.#startFailure = undefined;
    this.#spawnedAt = deps.clock.now();
    void running.ended.then((end) => this.#ended(end));
    this.#dispatch({ type: "spawned" });
    deps.emit({ ...this.#ref(), type: "InstanceStarted", label: running.label, port: this.#port });
  }

  #startFailed(reason: string): void {
    const status: ExitStatus = {
      code: null,
      signal: null,
      error: reason,
      at: this.deps.clock.now(),
      ranMs: 0,
    };
    this.#lastExit = status;
    this.history.record(status);
    const repeated = reason === this.#startFailure;
    this.#startFailure = reason;
    this.deps.emit({ ...this.#ref(), type: "InstanceStartFailed", reason, repeated });
    this.#dispatch({ type: "spawn_failed", restart: this.#restartAfter(status) });
  }

  #restartAfter(status: ExitStatus): boolean {
    return this.#wantUp && shouldRestart(this.service.restart, status);
  }

  #ended(end: RunEnd): void {
    this.#runEnded = true;
    const at = this.deps.clock.now();
    const status: ExitStatus = { ...end, at, ranMs: at - this.#spawnedAt };
    this.#lastExit = status;
    this.history.record(status);
    const stopping = this.#state === "stopping";
    this.#dispatch({ type: "ended" });
    if (!stopping) {
      this.deps.emit({
        ...this.#ref(),
        type: "InstanceExited",
        status,
        willRestart: this.#restartAfter(status),
        restartMode: this.service.restart,
      });
    }
  }

  async #cleanUp(): Promise<void> {
    const running = this.#running!;
    const { clock, emit } = this.deps;
    // During a stop the ladder goes on until the whole group has finished (a shell's
    // child still draining its requests), or its SIGKILL step ends them.
    if (this.#state === "stopping") {
      while (running.alive()) await new Promise<void>((r) => clock.setTimer(GROUP_POLL_MS, r));
    }
    const endedAt = clock.now();
    const killed = await running.cleanup();
    if (killed > 0) emit({ ...this.#ref(), type: "InstanceLeftoversKilled", count: killed });
    const status = this.#lastExit!;
    if (this.#state === "stopping") {
      const signal = this.#ladder?.lastSignal;
      const stopStartedAt = this.#stopStartedAt ?? endedAt;
      const drainedMs = (this.#ladderStartedAt ?? endedAt) - stopStartedAt;
      this.#dispatch({ type: "cleaned_up", restart: false });
      emit({
        ...this.#ref(),
        type: "InstanceStopped",
        signal,
        afterMs: endedAt - stopStartedAt,
        ...(drainedMs >= 1 && { drainedMs }),
        status,
      });
    } else {
      this.#dispatch({ type: "cleaned_up", restart: this.#restartAfter(status) });
    }
  }

  #startProbe(): void {
    const { service, deps } = this;
    const ready = service.ready;
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
    const configured = createProbe(
      ready.kind === "exec" ? { ...ready, argv: this.#plan!.probeArgv! } : ready,
    );
    const running = this.#running!;
    const probe = running.readiness ? running.readiness(configured, ready) : configured;
    if (!probe) {
      queueMicrotask(markReady);
      return;
    }
    // ready: none with a probe all the same (a container's HEALTHCHECK): the default timing.
    const timing =
      ready.kind === "none"
        ? { intervalMs: DEFAULT_PROBE_INTERVAL_MS, timeoutMs: DEFAULT_PROBE_TIMEOUT_MS }
        : ready;
    this.#health = new HealthCheck({
      probe,
      target: { host: "127.0.0.1", port: this.#port, cwd: service.cwd, env: this.#plan!.env },
      intervalMs: timing.intervalMs,
      timeoutMs: timing.timeoutMs,
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

  /**
   * Out of rotation first (the event tells the proxy), then the ladder once the requests in flight
   * have finished or drainTimeoutMs has passed, whichever comes first.
   */
  #startDrain(): void {
    const { deps } = this;
    const timeoutMs = this.service.drainTimeoutMs;
    this.#stopStartedAt = deps.clock.now();
    if (!deps.drain) {
      this.#startLadder();
      return;
    }
    const ref = this.#ref();
    deps.emit({ ...ref, type: "InstanceDraining", timeoutMs });
    if (timeoutMs <= 0) {
      this.#startLadder();
      return;
    }
    // A hook that throws rejects instead: DrainWait treats that as drained.
    const drained = new Promise<void>((resolve) => resolve(deps.drain!(ref)));
    this.#drainWait = new DrainWait(drained, timeoutMs, deps.clock, (end) => {
      this.#drainWait = undefined;
      if (end === "timed_out") deps.emit({ ...ref, type: "InstanceDrainTimedOut", timeoutMs });
      this.#dispatch({ type: "drained" });
    });
  }

  #startLadder(): void {
    const running = this.#running;
    // Ended during the drain, and nothing of it is left: there is nothing to signal.
    if (!running || (this.#runEnded && !running.alive())) return;
    this.#stopStartedAt ??= this.deps.clock.now();
    this.#ladderStartedAt = this.deps.clock.now();
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
      type: "InstanceBackoff",
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
