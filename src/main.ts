// The composition root: builds berth's components, starts them in order and stops them
// in reverse. Wiring only; every decision lives in the components.
import { relative } from "node:path";
import type { Config } from "./config/config.js";
import { EngineClient } from "./docker/engine-client.js";
import { engineUnreachable } from "./docker/engine-error.js";
import { systemClock } from "./lib/clock.js";
import { ReverseProxy } from "./proxy/proxy.js";
import { describeEvent, eventSubject, isQuiet } from "./supervisor/event-log.js";
import type { SupervisorEvent } from "./supervisor/events.js";
import { LogSink } from "./supervisor/log-sink.js";
import { PortAllocator } from "./supervisor/port-allocator.js";
import { RunRecord } from "./supervisor/run-record.js";
import { CgroupTree } from "./supervisor/runtime/cgroup-tree.js";
import { DockerRuntime } from "./supervisor/runtime/docker-runtime.js";
import { ProcessRuntime } from "./supervisor/runtime/process-runtime.js";
import { ProcessSweeper } from "./supervisor/runtime/process-sweeper.js";
import { Runtimes } from "./supervisor/runtime/runtimes.js";
import { ServiceLogs } from "./supervisor/service-logs.js";
import { Supervisor } from "./supervisor/supervisor.js";
import { startWatchdog } from "./supervisor/watchdog.js";

export interface BerthOptions {
  out: NodeJS.WritableStream;
  color: boolean;
}

export class Berth {
  readonly #sink: LogSink;
  readonly #files: ServiceLogs;
  readonly #record: RunRecord;
  readonly #sweeper = new ProcessSweeper();
  readonly #docker: DockerRuntime;
  #supervisor: Supervisor | undefined;
  #proxy: ReverseProxy | undefined;
  #cgroups: CgroupTree | undefined;
  #starting: Promise<void> | undefined;
  /** berth stays up when every service has ended for good, as supervisord and systemd do. */
  #keepAlive: NodeJS.Timeout | undefined;
  #stopping: Promise<void> | undefined;

  constructor(
    readonly config: Config,
    options: BerthOptions,
  ) {
    const names = config.services.flatMap((s) =>
      Array.from({ length: s.replicas }, (_, i) => `${s.name}#${i + 1}`),
    );
    this.#sink = new LogSink({ out: options.out, color: options.color, names });
    this.#files = new ServiceLogs(config);
    this.#record = new RunRecord(config.stateDir, relative(process.cwd(), config.file) || config.file);
    const adoptable = new Set(
      config.services
        .filter((s) => s.container?.adopt)
        .flatMap((s) => Array.from({ length: s.replicas }, (_, i) => `${s.name}#${i + 1}`)),
    );
    this.#docker = new DockerRuntime({
      connect: () => new EngineClient(),
      stateDir: config.stateDir,
      runId: this.#record.runId,
      adoptable: (instance) => adoptable.has(instance),
      report: (message) => this.#say(undefined, message),
    });
  }

  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    const cgroups = await CgroupTree.create(this.#record.runId);
    this.#cgroups = cgroups;
    const watchdog = startWatchdog(this.#record.runId, cgroups?.dir);
    const { leftovers, previous } = await this.#record.claim(this.#sweeper, {
      watchdogPid: watchdog.pid,
      cgroupDir: cgroups?.dir,
    });
    this.#files.line(undefined, "berth", `started (pid ${process.pid}, run ${this.#record.runId})`);
    if (previous && leftovers > 0) {
      this.#say(
        undefined,
        `stopped ${leftovers} process${leftovers === 1 ? "" : "es"} left running by a previous berth (pid ${previous.pid}, started ${previous.startedAt})`,
      );
    }
    if (this.config.services.some((s) => s.container)) {
      // Before any port is handed out: what an earlier berth left may hold one.
      await this.#docker.recover().catch((error: Error) => {
        const down = engineUnreachable(error);
        this.#say(
          undefined,
          down
            ? `${down}; until it answers, image services cannot start and containers an earlier berth left stay where they are`
            : `looking for containers an earlier berth left: ${error.message}; berth looks again before it starts a container`,
        );
      });
    } else {
      // Without image services the engine may well be absent: only a leftover is worth a word.
      this.#docker.recover().catch(() => {});
    }
    // A signal that came while the state dir was being claimed: start nothing.
    if (this.#stopping) return;
    if (this.config.sites.length > 0) {
      // Bound before any service starts: a port that is taken stops berth with nothing started.
      const proxy = new ReverseProxy(this.config, {
        clock: systemClock,
        report: (message) => this.#say("proxy", message),
      });
      this.#proxy = proxy;
      const bound = await proxy.start();
      this.#say("proxy", `listening on ${bound.join(", ")}`);
    }
    const proxy = this.#proxy;
    const supervisor = new Supervisor(this.config, {
      runtime: new Runtimes(new ProcessRuntime({ sweeper: this.#sweeper, cgroups }), this.#docker),
      runId: this.#record.runId,
      clock: systemClock,
      ports: new PortAllocator({
        inUse: (port) => this.#docker.portInUseMessage(port),
        adoptionPort: (instance) => this.#docker.adoptionPort(instance),
      }),
      baseEnv: process.env,
      ...(proxy && { drain: (ref) => proxy.drained(ref.service, ref.instance) }),
      output: (instance, stream, line) => {
        this.#sink.instanceLine(instance, stream, line);
        this.#files.line(instance, stream, line);
      },
    });
    if (proxy) supervisor.on((event) => proxy.onEvent(event));
    supervisor.on((event) => this.#logEvent(event));
    this.#keepAlive = setInterval(() => {}, 2 ** 31 - 1);
    this.#supervisor = supervisor;
    supervisor.start();
  }

  #logEvent(event: SupervisorEvent): void {
    if (isQuiet(event)) return;
    this.#say(eventSubject(event), describeEvent(event));
  }

  /** berth's own words, on its output and in the log files. */
  #say(subject: string | undefined, message: string): void {
    this.#sink.event(subject, message);
    this.#files.line(subject, "berth", message);
  }

  /** Stops every service, dependents first; idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#starting?.catch(() => {});
      const supervisor = this.#supervisor;
      this.#proxy?.stopAccepting();
      if (supervisor) {
        this.#say(undefined, "stopping all services");
        await supervisor.stop();
      }
      // What went to url: upstreams gets as long to finish as the longest drain.
      await this.#proxy?.close(Math.max(0, ...this.config.services.map((s) => s.drainTimeoutMs)));
      await this.#docker.close();
      await this.#cgroups?.destroy();
      await this.#files.close();
      await this.#record.release();
      clearInterval(this.#keepAlive);
      if (supervisor) this.#sink.event(undefined, "all services stopped");
    })();
    return this.#stopping;
  }

  /** Replaces a service's instances one at a time (see Supervisor.restart). */
  async restart(service: string): Promise<void> {
    await this.start();
    const supervisor = this.#supervisor;
    if (!supervisor || this.#stopping) return;
    this.#say(undefined, `restarting ${service}, one instance at a time`);
    await supervisor.restart(service);
  }

  /** Skips what remains of every stop ladder. */
  kill(): void {
    this.#say(undefined, "killing what is still running (SIGKILL)");
    this.#supervisor?.kill();
  }
}
