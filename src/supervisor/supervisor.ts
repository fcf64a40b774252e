import type { Config } from "../config/config.js";
import type { SupervisorEvent, SupervisorEventListener } from "./events.js";
import type { InstanceDeps } from "./instance.js";
import { Service } from "./service.js";

/** What every Instance gets; emit and stateChanged are the Supervisor's own. */
export type SupervisorDeps = Omit<InstanceDeps, "emit" | "stateChanged">;

/**
 * Owns the Services of a Config. Starts each one once every service it depends on has a
 * ready instance; stops dependents before what they depend on.
 */
export class Supervisor {
  readonly services = new Map<string, Service>();
  readonly #listeners = new Set<SupervisorEventListener>();
  /** Services waiting for their dependencies: looked at again after every change of state and at stop. */
  readonly #waiting = new Set<() => void>();
  #stopping: Promise<void> | undefined;
  #stopped = new Map<string, Promise<void>>();
  #idleNoticed = false;
  /** kill() was called: services whose stop begins later are killed at once too. */
  #killing = false;

  /**
   * `deps.drain`, when given, is how a stopping instance waits (up to its service's drain_timeout)
   * for the requests it is serving: the proxy's. Without it stops signal at once.
   */
  constructor(
    readonly config: Config,
    deps: SupervisorDeps,
  ) {
    const emit = (event: SupervisorEvent) => this.#emit(event);
    const stateChanged = () => this.#stateChanged();
    // One plain copy, taken once: every instance start copies the whole base environment, and
    // reading process.env goes through C++ for each key (about 1 ms per copy, see bench/RESULTS.md).
    const baseEnv = { ...deps.baseEnv };
    for (const serviceConfig of config.services) {
      this.services.set(
        serviceConfig.name,
        new Service(serviceConfig, { ...deps, baseEnv, emit, stateChanged }),
      );
    }
  }

  on(listener: SupervisorEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    for (const service of this.services.values()) void this.#startWhenDependenciesReady(service);
  }

  async #startWhenDependenciesReady(service: Service): Promise<void> {
    const waitingFor = () =>
      service.config.dependsOn.filter((d) => (this.services.get(d)?.readyCount ?? 0) === 0);
    if (waitingFor().length > 0) {
      this.#emit({ type: "ServiceWaiting", service: service.name, waitingFor: waitingFor() });
      await new Promise<void>((resolve) => {
        const check = () => {
          if (!this.#stopping && waitingFor().length > 0) return;
          this.#waiting.delete(check);
          resolve();
        };
        this.#waiting.add(check);
      });
    }
    if (!this.#stopping) service.start();
  }

  #emit(event: SupervisorEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  #stateChanged(): void {
    for (const check of this.#waiting) check();
    this.#noticeIdle();
  }

  /** Says once when nothing runs and nothing will restart: berth is up with nothing to do. */
  #noticeIdle(): void {
    if (this.#stopping || this.#idleNoticed) return;
    const instances = [...this.services.values()].flatMap((s) => s.instances);
    if (!instances.every((i) => i.state === "exited" || i.state === "idle")) return;
    const neverStarted = [...this.services.values()].filter((s) =>
      s.instances.every((i) => i.state === "idle"),
    );
    if (neverStarted.length === this.services.size) return; // nothing has been started yet
    this.#idleNoticed = true;
    this.#emit({ type: "SupervisorIdle", neverStarted: neverStarted.map((s) => s.name) });
  }

  /**
   * Replaces `name`'s instances one at a time: each is stopped the way a stop goes (out of the
   * proxy's rotation, its requests in flight finished, then its ladder), started again, and the
   * next one waits until it is ready. While the only instance is down, the proxy holds requests
   * for it. Throws for an unknown service; stops early (leaving nothing started) when berth stops.
   */
  async restart(name: string): Promise<void> {
    const service = this.services.get(name);
    if (!service)
      throw new Error(`no service named "${name}"; services are: ${[...this.services.keys()].join(", ")}`);
    for (const instance of service.instances) {
      await instance.stop();
      // Checked at the last moment: a stop that began meanwhile must not find it started after.
      if (this.#stopping) return;
      instance.start();
      await instance.started();
    }
  }

  /** Stops everything, dependents first; idempotent. Resolves when nothing is left running. */
  stop(): Promise<void> {
    if (!this.#stopping) {
      // First nothing restarts any more, then each service stops in its turn: a dependency
      // waiting for its dependents to stop must not crash-loop meanwhile.
      for (const service of this.services.values()) service.stayDown();
      this.#stopping = Promise.all([...this.services.values()].map((s) => this.#stopService(s))).then(
        () => {},
      );
    }
    for (const check of this.#waiting) check();
    return this.#stopping;
  }

  #stopService(service: Service): Promise<void> {
    let stopped = this.#stopped.get(service.name);
    if (!stopped) {
      const dependents = [...this.services.values()].filter((s) => s.config.dependsOn.includes(service.name));
      stopped = Promise.all(dependents.map((d) => this.#stopService(d))).then(() => {
        const done = service.stop();
        if (this.#killing) service.kill();
        return done;
      });
      this.#stopped.set(service.name, stopped);
    }
    return stopped;
  }

  /** Skips the rest of every stop ladder: SIGKILL now. */
  kill(): void {
    this.#killing = true;
    for (const service of this.services.values()) service.kill();
  }
}
