// One run of an image service: a container the engine runs. Its exit comes from the engine's
// wait (registered before the start, so none is missed), its output from the engine's log
// stream, line by line; a stop signal is the engine's kill; the end removes it (unless keep).
import { constants } from "node:os";
import type { ProbeConfig } from "../../config/config.js";
import { removeContainerIfPresent } from "../../docker/containers.js";
import type { EngineClient } from "../../docker/engine-client.js";
import { isConflict, isNotFound } from "../../docker/engine-error.js";
import type { EngineStream } from "../../docker/engine-stream.js";
import type { WaitResult } from "../../docker/engine-types.js";
import type { LogChunk } from "../../docker/log-demuxer.js";
import { AllProbes } from "../health/all-probes.js";
import { HealthStatusProbe } from "../health/health-status-probe.js";
import type { Probe } from "../health/probe.js";
import { HOLD_MS, PublishedPortProbe } from "../health/published-port-probe.js";
import { LineSplitter } from "./line-splitter.js";
import type { OutputStream, RunEnd, RunningInstance } from "./runtime.js";

/**
 * How long after the exit its last output may take to arrive before the exit is reported: so
 * its last lines come before berth's "exited", yet the proxy stops routing to it at once.
 */
const LOGS_BEFORE_EXIT_MS = 100;
/** How long after the exit the last of its output may take to arrive before the stream is cut. */
const LOGS_GRACE_MS = 1_000;
/** A lost wait is asked again at most this many times (the engine restarting, say). */
const WAIT_ATTEMPTS = 3;
const WAIT_RETRY_MS = 1_000;

export interface ContainerRunOptions {
  engine: EngineClient;
  id: string;
  /** Settles once the container has stopped. */
  exited: Promise<WaitResult>;
  onOutput(stream: OutputStream, line: string): void;
  /** berth's own words about this container (a failed removal). */
  report(message: string): void;
  keep: boolean;
  /** Its image has a HEALTHCHECK: ready only once the engine says healthy. */
  healthcheck: boolean;
  /** For an adopted container: the host port it was published on, and where its logs pick up (seconds since the epoch). */
  adopted?: { hostPort: number | undefined; logsSince: number };
}

export class ContainerRun implements RunningInstance {
  readonly label: string;
  readonly port: number | undefined;
  readonly ended: Promise<RunEnd>;
  readonly #o: ContainerRunOptions;
  #running = true;
  /** Signals berth sent: an exit status of 128 + one of them is that signal's doing. */
  readonly #sent = new Set<NodeJS.Signals>();
  #logStream: EngineStream<LogChunk> | undefined;
  readonly #logsDone: Promise<void>;
  /** performance.now() when the wait said it stopped. */
  #endedAt = 0;

  constructor(options: ContainerRunOptions) {
    this.#o = options;
    this.label = `container ${options.id.slice(0, 12)}`;
    this.port = options.adopted?.hostPort;
    this.#logsDone = this.#followLogs();
    this.ended = this.#waitForEnd().then(async (end) => {
      this.#running = false;
      this.#endedAt = performance.now();
      // Its last lines before berth says it exited, if they come at once; cleanup() waits longer.
      await this.#logsFor(LOGS_BEFORE_EXIT_MS);
      return end;
    });
  }

  signal(signal: NodeJS.Signals): void {
    this.#sent.add(signal);
    this.#o.engine.killContainer(this.#o.id, signal).catch((error: unknown) => {
      // 409: it is not running (any more); 404: it is gone. Either way the wait reports its end.
      if (isConflict(error) || isNotFound(error)) return;
      // The ladder goes on to its next step (and the engine's own StopTimeout still ends it).
      this.#o.report((error as Error).message);
    });
  }

  alive(): boolean {
    return this.#running;
  }

  async cleanup(): Promise<number> {
    // The last of its output, up to LOGS_GRACE_MS after the exit; the stream is cut then.
    await this.#logsFor(LOGS_GRACE_MS - (performance.now() - this.#endedAt));
    this.#logStream?.close();
    await this.#logsDone;
    if (this.#o.keep) return 0;
    try {
      await removeContainerIfPresent(this.#o.engine, this.#o.id);
    } catch (error) {
      this.#o.report(`could not remove ${this.label}: ${(error as Error).message}`);
    }
    // Nothing of a container outlives it: the engine ends every process in it.
    return 0;
  }

  readiness(configured: Probe | undefined, config: ProbeConfig): Probe | undefined {
    const probe =
      config.kind === "tcp"
        ? new PublishedPortProbe(Math.min(HOLD_MS, Math.floor(config.timeoutMs / 2)))
        : configured;
    if (!this.#o.healthcheck) return probe;
    const health = new HealthStatusProbe(this.#o.engine, this.#o.id);
    return probe ? new AllProbes([probe, health]) : health;
  }

  /** Resolves once its log stream has ended, or after `ms`, whichever comes first. */
  async #logsFor(ms: number): Promise<void> {
    if (ms <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#logsDone, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  /** The exit status; a wait the engine broke off is asked again (a second apart), then given up. */
  async #waitForEnd(): Promise<RunEnd> {
    const { engine, id } = this.#o;
    let exited = this.#o.exited;
    for (let attempt = 1; ; attempt++) {
      try {
        return this.#end((await exited).StatusCode);
      } catch (error) {
        const state = await engine.inspectContainer(id).then(
          (inspect) => inspect.State,
          (e: unknown) => (isNotFound(e) ? "removed" : undefined),
        );
        if (state === "removed") return { code: null, signal: null, error: `${this.label} was removed` };
        if (state && !state.Running) return this.#end(state.ExitCode);
        if (attempt >= WAIT_ATTEMPTS)
          return {
            code: null,
            signal: null,
            error: `lost track of ${this.label}: ${(error as Error).message}`,
          };
        await new Promise((resolve) => setTimeout(resolve, WAIT_RETRY_MS));
        exited = engine.startWaiting(id, { condition: "not-running" }).then((wait) => wait.exited);
      }
    }
  }

  /**
   * The engine only has an exit code: a container's PID 1 (or the init in front of it) ended by
   * signal n exits 128 + n. Taken for the signal when berth sent it, so a stop reads "stopped by
   * SIGTERM" as a process's does; a kill from outside stays "exited with code 137".
   */
  #end(code: number): RunEnd {
    for (const signal of this.#sent) {
      if (code === 128 + constants.signals[signal]) return { code: null, signal };
    }
    return { code, signal: null };
  }

  async #followLogs(): Promise<void> {
    const { engine, id, onOutput } = this.#o;
    const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
    try {
      const stream = await engine.containerLogs(id, {
        follow: true,
        tty: false,
        ...(this.#o.adopted && { since: this.#o.adopted.logsSince }),
      });
      this.#logStream = stream;
      for await (const { stream: name, chunk } of stream) {
        for (const line of splitters[name].push(chunk)) onOutput(name, line);
      }
    } catch (error) {
      // A container removed before its logs were asked for had nothing more to say.
      if (!isNotFound(error) && !isConflict(error))
        this.#o.report(`reading the output of ${this.label}: ${(error as Error).message}`);
    }
    for (const name of ["stdout", "stderr"] as const) {
      for (const line of splitters[name].flush()) onOutput(name, line);
    }
  }
}
