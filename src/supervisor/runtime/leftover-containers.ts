// The containers an earlier, dead berth of the same project left: removed before the first
// container of this berth starts, except a running one an instance with adopt: true may take
// over. That one (a candidate) waits for its instance's start, which adopts it when it is
// unchanged and removes it otherwise; close() removes the candidates no instance took. A
// candidate stays one until it is adopted or removed, so a failed attempt is tried again, and
// nothing of it is ever orphaned.
import { LABEL, projectId } from "../../docker/berth-labels.js";
import { describeContainer, removeContainerIfPresent } from "../../docker/containers.js";
import type { EngineClient } from "../../docker/engine-client.js";
import { isNotFound } from "../../docker/engine-error.js";
import type { ContainerSummary } from "../../docker/engine-types.js";
import { publishedPorts } from "../../docker/published-port.js";
import { PUBLISH_HOST } from "./container-body.js";
import { ContainerRun } from "./container-run.js";
import type { ContainerSpec, InstanceSpec } from "./runtime.js";

export interface LeftoverOptions {
  stateDir: string;
  runId: string;
  /** Whether `instance` ("web#1") may take over a container an earlier run left (adopt: true). */
  adoptable: (instance: string) => boolean;
  /** berth's own words: what it removed or adopted. */
  report: (message: string) => void;
}

export class LeftoverContainers {
  readonly #o: LeftoverOptions;
  #recovery: Promise<void> | undefined;
  /** Running containers of earlier runs, by instance, waiting for that instance to adopt or replace them. */
  readonly #candidates = new Map<string, ContainerSummary>();

  constructor(options: LeftoverOptions) {
    this.#o = options;
  }

  /**
   * Removes (force: SIGKILL) every container of this project that an earlier run left, running
   * or exited (a kept one, exited, is the user's); an adoptable one stays until its instance
   * starts. Once per berth; a failure is tried again by the next call.
   */
  recover(engine: EngineClient): Promise<void> {
    this.#recovery ??= this.#recover(engine).catch((error: unknown) => {
      this.#recovery = undefined;
      throw error;
    });
    return this.#recovery;
  }

  /** The host port the candidate for `instance` is published on, if there is one. */
  portOf(instance: string): number | undefined {
    return this.#candidates.get(instance)?.Ports.find((p) => p.PublicPort !== undefined)?.PublicPort;
  }

  /**
   * The candidate for this instance, adopted when it is unchanged (the same config hash) and
   * still running; else removed, and undefined. An engine that fails meanwhile rejects, and the
   * candidate stays one: the next start tries again, or close() removes it.
   */
  async adopt(
    engine: EngineClient,
    spec: InstanceSpec,
    container: ContainerSpec,
    hash: string,
    healthcheck: boolean,
  ): Promise<ContainerRun | undefined> {
    const candidate = this.#candidates.get(spec.instance);
    if (!candidate) return undefined;
    const { report } = this.#o;
    let why = "its config changed";
    if (candidate.Labels?.[LABEL.configHash] === hash) {
      const taken = await this.#takeOver(engine, candidate, spec, container, healthcheck);
      if (taken instanceof ContainerRun) {
        this.#candidates.delete(spec.instance);
        report(
          `${spec.instance}: adopted ${describeContainer(candidate)}, unchanged since an earlier berth started it`,
        );
        return taken;
      }
      if (taken === "gone") {
        this.#candidates.delete(spec.instance);
        report(
          `${spec.instance}: ${describeContainer(candidate)} of an earlier berth is gone; starting a new one`,
        );
        return undefined;
      }
      why = taken;
    }
    await removeContainerIfPresent(engine, candidate.Id);
    this.#candidates.delete(spec.instance);
    report(`${spec.instance}: removed ${describeContainer(candidate)} of an earlier berth: ${why}`);
    return undefined;
  }

  /** Removes the candidates no instance took. Idempotent. */
  async close(engine: EngineClient): Promise<void> {
    await Promise.all(
      [...this.#candidates].map(async ([instance, c]) => {
        try {
          await removeContainerIfPresent(engine, c.Id);
          this.#candidates.delete(instance);
        } catch (error) {
          this.#o.report(`could not remove ${describeContainer(c)}: ${(error as Error).message}`);
        }
      }),
    );
  }

  async #recover(engine: EngineClient): Promise<void> {
    const { stateDir, runId, adoptable, report } = this.#o;
    const found = await engine.listContainers({
      all: true,
      labels: { [LABEL.project]: projectId(stateDir) },
    });
    const removed: string[] = [];
    for (const c of found) {
      const labels = c.Labels ?? {};
      if (labels[LABEL.run] === runId) continue;
      if (c.State !== "running" && labels[LABEL.keep] === "true") continue;
      const instance = labels[LABEL.instance];
      if (c.State === "running" && instance && adoptable(instance) && !this.#candidates.has(instance)) {
        this.#candidates.set(instance, c);
        continue;
      }
      try {
        await removeContainerIfPresent(engine, c.Id);
        removed.push(describeContainer(c, instance ?? "no instance", c.State));
      } catch (error) {
        report(
          `could not remove ${describeContainer(c)} left by an earlier berth: ${(error as Error).message}`,
        );
      }
    }
    if (removed.length > 0) {
      const s = removed.length === 1 ? "" : "s";
      report(`removed ${removed.length} container${s} left by an earlier berth: ${removed.join(", ")}`);
    }
  }

  /** The candidate as this instance's run; or why not: "gone", or the words for a stopped one. */
  async #takeOver(
    engine: EngineClient,
    candidate: ContainerSummary,
    spec: InstanceSpec,
    container: ContainerSpec,
    healthcheck: boolean,
  ): Promise<ContainerRun | "gone" | string> {
    const waiting = new AbortController();
    try {
      const { exited } = await engine.startWaiting(candidate.Id, {
        condition: "not-running",
        signal: waiting.signal,
      });
      const inspect = await engine.inspectContainer(candidate.Id);
      const state = inspect.State;
      if (!state.Running) {
        waiting.abort();
        const code = state.Status === "exited" ? ` with code ${state.ExitCode}` : "";
        return `it is no longer running (${state.Status}${code})`;
      }
      const published = container.port === undefined ? [] : publishedPorts(inspect, container.port);
      return new ContainerRun({
        engine,
        id: candidate.Id,
        exited,
        onOutput: spec.onOutput,
        report: this.#o.report,
        keep: container.keep,
        healthcheck,
        adopted: {
          hostPort: published.find((p) => p.host === PUBLISH_HOST)?.port,
          logsSince: Math.floor(Date.now() / 1000),
        },
      });
    } catch (error) {
      waiting.abort();
      if (isNotFound(error)) return "gone";
      throw error;
    }
  }
}
