// Runs an Instance as a container, through the Docker Engine API (never the docker CLI): the
// image found or pulled (image-source.ts), the container created with berth's labels and
// published on 127.0.0.1 only, the wait registered before the start. Before its first start it
// deals with what an earlier, dead berth of the same project left (leftover-containers.ts).
import { randomBytes } from "node:crypto";
import { removeContainerIfPresent } from "../../docker/containers.js";
import type { EngineClient } from "../../docker/engine-client.js";
import { EngineConnectionError, engineUnreachable } from "../../docker/engine-error.js";
import { containerBody } from "./container-body.js";
import { ContainerRun } from "./container-run.js";
import { configHash, containerLabels } from "./docker-labels.js";
import { findImage, hasHealthcheck } from "./image-source.js";
import { LeftoverContainers } from "./leftover-containers.js";
import { portInUseMessage } from "./port-user.js";
import {
  type ContainerSpec,
  type InstanceSpec,
  type RunningInstance,
  type Runtime,
  StartError,
} from "./runtime.js";

export interface DockerRuntimeOptions {
  /** Called on first use, so a bad DOCKER_HOST fails the image services' starts, not berth. */
  connect: () => EngineClient;
  stateDir: string;
  runId: string;
  /** Whether `instance` ("web#1") may take over a container an earlier run left (adopt: true). */
  adoptable: (instance: string) => boolean;
  /** berth's own words: what it removed or adopted. */
  report: (message: string) => void;
}

export class DockerRuntime implements Runtime {
  readonly #o: DockerRuntimeOptions;
  readonly #leftovers: LeftoverContainers;
  #engine: EngineClient | undefined;

  constructor(options: DockerRuntimeOptions) {
    this.#o = options;
    this.#leftovers = new LeftoverContainers(options);
  }

  /**
   * Removes the containers an earlier berth of this project left (see LeftoverContainers). Once
   * per berth, before the first container starts; a failure is tried again by the next start.
   */
  async recover(): Promise<void> {
    await this.#leftovers.recover(this.#connect());
  }

  /**
   * The host port held by the container an earlier berth left running for `instance`, which its
   * start adopts or removes (adopt: true only); undefined when there is none.
   */
  async adoptionPort(instance: string): Promise<number | undefined> {
    if (!this.#o.adoptable(instance)) return undefined;
    try {
      await this.recover();
    } catch {
      return undefined;
    }
    return this.#leftovers.portOf(instance);
  }

  async start(spec: InstanceSpec): Promise<RunningInstance> {
    const container = spec.container;
    if (!container) throw new StartError("DockerRuntime runs image services only");
    const engine = this.#connect();
    try {
      await this.recover();
    } catch (error) {
      throw new StartError(
        engineUnreachable(error) ??
          `looking for containers an earlier berth left: ${(error as Error).message}`,
      );
    }
    const image = await findImage(engine, container.image, container.pull, spec.signal);
    const hash = configHash(container, image.Id);
    const healthcheck = hasHealthcheck(image);
    return (
      (await this.#leftovers.adopt(engine, spec, container, hash, healthcheck)) ??
      (await this.#create(engine, spec, container, hash, healthcheck))
    );
  }

  /** "port 8002 is already in use by container … (id)" or "… by pid …", whoever holds it. */
  portInUseMessage(port: number): Promise<string> {
    let engine: EngineClient | undefined;
    try {
      engine = this.#connect();
    } catch {
      // No engine to ask: the process holding it, if it can be told.
    }
    return portInUseMessage(port, engine);
  }

  /** Removes the leftovers no instance took, and lets go of the engine. Idempotent. */
  async close(): Promise<void> {
    const engine = this.#engine;
    if (!engine) return;
    await this.#leftovers.close(engine);
    engine.close();
  }

  #connect(): EngineClient {
    try {
      this.#engine ??= this.#o.connect();
    } catch (error) {
      throw new StartError(`reaching the Docker engine: ${(error as Error).message}`);
    }
    return this.#engine;
  }

  async #create(
    engine: EngineClient,
    spec: InstanceSpec,
    container: ContainerSpec,
    hash: string,
    healthcheck: boolean,
  ): Promise<RunningInstance> {
    // Stopped while the image was looked for: nothing is created.
    spec.signal?.throwIfAborted();
    const { stateDir, runId } = this.#o;
    const owner = { stateDir, runId, service: spec.service, instance: spec.instance };
    const body = containerBody(container, containerLabels(container, owner, hash));
    // Unique: a kept container of an earlier run may still have the plain name.
    const name = `berth-${spec.instance.replace("#", "-")}-${randomBytes(3).toString("hex")}`;
    let id: string;
    try {
      id = await engine.createContainer(name, body, { signal: spec.signal });
    } catch (error) {
      // No answer (lost, timed out, or abandoned for a stop): the engine may have made it all the
      // same; the name is this run's alone.
      if (error instanceof EngineConnectionError || spec.signal?.aborted) await this.#remove(engine, name);
      throw error;
    }
    const waiting = new AbortController();
    try {
      // Registered before the start, so an exit right after it is not missed.
      const { exited } = await engine.startWaiting(id, { condition: "next-exit", signal: waiting.signal });
      await engine.startContainer(id);
      return new ContainerRun({
        engine,
        id,
        exited,
        onOutput: spec.onOutput,
        report: this.#o.report,
        keep: container.keep,
        healthcheck,
      });
    } catch (error) {
      waiting.abort();
      await this.#remove(engine, id);
      const port = container.hostPort;
      if (port !== undefined && /port is already allocated|address already in use/.test(String(error))) {
        const instead = container.publish.kind === "fixed" ? " (or use publish: auto)" : "";
        throw new StartError(`${await portInUseMessage(port, engine)}${instead}`);
      }
      throw error;
    }
  }

  async #remove(engine: EngineClient, ref: string): Promise<void> {
    try {
      await removeContainerIfPresent(engine, ref);
    } catch (error) {
      this.#o.report(`${(error as Error).message}; the next berth up removes it`);
    }
  }
}
