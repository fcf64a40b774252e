// A small typed client of the Docker Engine API (v1.41) over node:http: the calls a
// DockerRuntime needs to build, run, watch and stop containers. Never the docker CLI.

import type { Readable } from "node:stream";
import { type LogOptions, readContainerLogs } from "./container-logs.js";
import { type EngineAddress, engineAddressFromEnv } from "./engine-address.js";
import { EngineConnectionError, EngineError, isNotFound } from "./engine-error.js";
import { EngineHttp } from "./engine-http.js";
import { EngineStream } from "./engine-stream.js";
import type {
  ContainerCreateBody,
  ContainerInspect,
  ContainerSummary,
  EngineEvent,
  EngineVersion,
  ImageInspect,
  WaitResult,
} from "./engine-types.js";
import { type BuildOptions, buildImage } from "./image-build.js";
import { pullImage } from "./image-pull.js";
import { jsonLines } from "./json-lines.js";
import type { LogChunk } from "./log-demuxer.js";

export type { LogOptions } from "./container-logs.js";
export type { BuildOptions } from "./image-build.js";

export interface EngineClientOptions {
  /** Default: from DOCKER_HOST, else unix:///var/run/docker.sock. */
  address?: EngineAddress;
  /** The limit for a short call (inspect, create, kill…) to be answered. Default 30 s. */
  timeoutMs?: number;
}

/** "label" → ["berth.project=demo"], "name" → […]: the engine's filters, as JSON in the query. */
export type Filters = Record<string, string[]>;

/** The engine's wait conditions: "not-running" returns at once for a created or exited container. */
export type WaitCondition = "not-running" | "next-exit" | "removed";

const EXIT_WAIT_SLACK_MS = 30_000;

export class EngineClient {
  readonly #http: EngineHttp;
  readonly #timeoutMs: number;

  constructor(options: EngineClientOptions = {}) {
    this.#http = new EngineHttp(options.address ?? engineAddressFromEnv());
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** The engine's address as DOCKER_HOST writes it. */
  get where(): string {
    return this.#http.where;
  }

  /** Resolves when the engine answers; an EngineConnectionError says where it was looked for and what to do. */
  async ping(signal?: AbortSignal): Promise<void> {
    await this.#http.call({
      method: "GET",
      path: "/_ping",
      action: "reaching the Docker engine",
      timeoutMs: this.#timeoutMs,
      signal,
    });
  }

  async version(): Promise<EngineVersion> {
    return this.#http.json<EngineVersion>({
      method: "GET",
      path: "/version",
      action: "asking the Docker engine its version",
      timeoutMs: this.#timeoutMs,
    });
  }

  /** The image, or undefined when the engine does not have it. */
  async imageInspect(ref: string): Promise<ImageInspect | undefined> {
    try {
      return await this.#http.json<ImageInspect>({
        method: "GET",
        path: `/images/${encodeURIComponent(ref)}/json`,
        action: `inspecting image ${ref}`,
        timeoutMs: this.#timeoutMs,
      });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Builds `context` (a tar archive holding a Dockerfile) as `tag` with the engine's classic
   * builder; resolves with the image id, or fails with the builder's own error message.
   */
  async buildImage(
    context: Buffer | Readable,
    tag: string,
    options: BuildOptions = {},
  ): Promise<{ imageId: string; output: string }> {
    const built = await buildImage(this.#http, context, tag, options);
    const imageId = built.imageId ?? (await this.imageInspect(tag))?.Id;
    if (imageId === undefined)
      throw new EngineError(`building image ${tag}`, undefined, "the build ended without an image");
    return { imageId, output: built.output };
  }

  /**
   * Pulls `ref` from its registry (the tag "latest" when it names none); resolves once the engine
   * has it, or fails with the engine's own words (an unreachable registry, an unknown image).
   */
  async pullImage(ref: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await pullImage(this.#http, ref, { signal: options.signal, timeoutMs: this.#timeoutMs });
  }

  /**
   * Creates the container `name`; resolves with its id. A name in use is an EngineError with
   * status 409. An abort, like a lost answer, leaves it unknown whether the engine made it.
   */
  async createContainer(
    name: string,
    body: ContainerCreateBody,
    options: { signal?: AbortSignal } = {},
  ): Promise<string> {
    const created = await this.#http.json<{ Id: string }>({
      method: "POST",
      path: "/containers/create",
      query: { name },
      json: body,
      action: `creating container ${name}`,
      timeoutMs: this.#timeoutMs,
      signal: options.signal,
    });
    return created.Id;
  }

  /** Starts it; starting one that already runs is no error. */
  async startContainer(ref: string): Promise<void> {
    await this.#http.call({
      method: "POST",
      path: `/containers/${encodeURIComponent(ref)}/start`,
      action: `starting container ${short(ref)}`,
      timeoutMs: this.#timeoutMs,
    });
  }

  async inspectContainer(ref: string): Promise<ContainerInspect> {
    return this.#http.json<ContainerInspect>({
      method: "GET",
      path: `/containers/${encodeURIComponent(ref)}/json`,
      action: `inspecting container ${short(ref)}`,
      timeoutMs: this.#timeoutMs,
    });
  }

  /**
   * Starts waiting for the container to reach `condition` (default "not-running"); resolves once
   * the engine has registered the wait, so that "next-exit" set up before a start or kill
   * cannot miss it. `exited` settles with the exit status; an abort rejects it with the reason.
   */
  async startWaiting(
    ref: string,
    options: { condition?: WaitCondition; signal?: AbortSignal } = {},
  ): Promise<{ exited: Promise<WaitResult> }> {
    const action = `waiting for container ${short(ref)}`;
    const res = await this.#http.request({
      method: "POST",
      path: `/containers/${encodeURIComponent(ref)}/wait`,
      query: { condition: options.condition ?? "not-running" },
      action,
      signal: options.signal,
      streaming: true,
    });
    const exited = (async () => {
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of res) chunks.push(chunk as Buffer);
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        throw EngineConnectionError.fromSocketError(action, this.where, error as NodeJS.ErrnoException, true);
      }
      const text = Buffer.concat(chunks).toString("utf8");
      let result: WaitResult;
      try {
        result = JSON.parse(text) as WaitResult;
      } catch {
        throw new EngineError(
          action,
          res.statusCode,
          `the engine's answer is not JSON: ${text.slice(0, 200)}`,
        );
      }
      if (result.Error?.Message) throw new EngineError(action, res.statusCode, result.Error.Message);
      return result;
    })();
    // The caller may never look (it aborted, or only wanted the registration).
    exited.catch(() => {});
    return { exited };
  }

  /** The container's exit status once it reaches `condition` (default "not-running"). */
  async waitContainer(
    ref: string,
    options: { condition?: WaitCondition; signal?: AbortSignal } = {},
  ): Promise<WaitResult> {
    return (await this.startWaiting(ref, options)).exited;
  }

  /** Sends `signal` to its PID 1. A container that does not run is an EngineError with status 409. */
  async killContainer(ref: string, signal: NodeJS.Signals | string = "SIGKILL"): Promise<void> {
    await this.#http.call({
      method: "POST",
      path: `/containers/${encodeURIComponent(ref)}/kill`,
      query: { signal },
      action: `sending ${signal} to container ${short(ref)}`,
      timeoutMs: this.#timeoutMs,
    });
  }

  /**
   * The engine's stop: its StopSignal (set at create; API 1.41 takes no signal here), then
   * SIGKILL after `timeoutS` seconds. Resolves once it has stopped: "stopped", or "not running"
   * when it was not.
   */
  async stopContainer(ref: string, timeoutS: number): Promise<"stopped" | "not running"> {
    const status = await this.#http.call({
      method: "POST",
      path: `/containers/${encodeURIComponent(ref)}/stop`,
      query: { t: Math.max(0, Math.ceil(timeoutS)) },
      action: `stopping container ${short(ref)}`,
      timeoutMs: Math.ceil(timeoutS) * 1000 + EXIT_WAIT_SLACK_MS,
    });
    return status === 304 ? "not running" : "stopped";
  }

  /** Removes it (force: even while it runs, killing it). A missing one is an EngineError with status 404. */
  async removeContainer(ref: string, options: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    await this.#http.call({
      method: "DELETE",
      path: `/containers/${encodeURIComponent(ref)}`,
      query: { force: options.force, v: options.volumes },
      action: `removing container ${short(ref)}`,
      timeoutMs: this.#timeoutMs,
    });
  }

  /**
   * Containers, running ones only unless `all`; `labels` keeps those with each label (a value
   * of true: the label with any value). `timeoutMs` replaces the client's own limit.
   */
  async listContainers(
    options: {
      all?: boolean;
      labels?: Record<string, string | true>;
      filters?: Filters;
      timeoutMs?: number;
    } = {},
  ): Promise<ContainerSummary[]> {
    const filters = withLabels(options.filters, options.labels);
    return this.#http.json<ContainerSummary[]>({
      method: "GET",
      path: "/containers/json",
      query: {
        all: options.all,
        filters: Object.keys(filters).length === 0 ? undefined : JSON.stringify(filters),
      },
      action: "listing containers",
      timeoutMs: options.timeoutMs ?? this.#timeoutMs,
    });
  }

  /**
   * Its output so far (and, with follow, as it comes, until it stops), each chunk with the
   * stream it was written to. Resolves once the engine has answered; close() or an abort
   * ends the iteration quietly.
   */
  async containerLogs(ref: string, options: LogOptions = {}): Promise<EngineStream<LogChunk>> {
    const tty = options.tty ?? (await this.inspectContainer(ref)).Config.Tty;
    return readContainerLogs(this.#http, ref, short(ref), tty, { ...options, timeoutMs: this.#timeoutMs });
  }

  /**
   * The engine's events from now on (or from `since`, seconds since the epoch), filtered
   * ({type: ["container"], label: ["berth.project=demo"], event: ["die"]}). Resolves once the
   * engine is sending, so nothing that happens afterwards is missed; close() or an abort ends
   * the iteration quietly.
   */
  async events(
    options: { filters?: Filters; since?: number; signal?: AbortSignal } = {},
  ): Promise<EngineStream<EngineEvent>> {
    const action = "watching the Docker engine's events";
    const res = await this.#http.request({
      method: "GET",
      path: "/events",
      query: {
        filters: options.filters === undefined ? undefined : JSON.stringify(options.filters),
        since: options.since,
      },
      action,
      signal: options.signal,
      timeoutMs: this.#timeoutMs,
      streaming: true,
    });
    return new EngineStream(
      res,
      jsonLines(res) as AsyncGenerator<EngineEvent>,
      (error) => EngineConnectionError.fromSocketError(action, this.where, error, true),
      options.signal,
    );
  }

  /** Closes every connection: streams and waits still going end. */
  close(): void {
    this.#http.close();
  }
}

/** A container id shortened as the docker CLI shows it; a name as it is. */
function short(ref: string): string {
  return /^[0-9a-f]{64}$/.test(ref) ? ref.slice(0, 12) : ref;
}

function withLabels(
  filters: Filters | undefined,
  labels: Record<string, string | true> | undefined,
): Filters {
  const out: Filters = { ...filters };
  if (labels !== undefined) {
    const wanted = Object.entries(labels).map(([name, value]) =>
      value === true ? name : `${name}=${value}`,
    );
    out.label = [...(out.label ?? []), ...wanted];
  }
  return out;
}
