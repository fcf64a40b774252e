// A Docker engine in memory, for unit tests of the DockerRuntime and ContainerRun: the calls
// they make are recorded in order, every answer can be replaced per test (assign a method), a
// container's exit is settled by hand, and its log stream is fed by hand. The real engine is in
// test/integration/docker-*.test.ts.
import type { EngineClient } from "../../src/docker/engine-client.js";
import type { EngineStream } from "../../src/docker/engine-stream.js";
import type {
  ContainerCreateBody,
  ContainerInspect,
  ContainerSummary,
  ImageInspect,
  WaitResult,
} from "../../src/docker/engine-types.js";
import type { LogChunk } from "../../src/docker/log-demuxer.js";

/** A log stream the test writes to and ends; close() ends it too, as the engine's does. */
export class FakeLogs implements AsyncIterableIterator<LogChunk> {
  readonly #queue: LogChunk[] = [];
  #done = false;
  #wake: (() => void) | undefined;

  push(stream: "stdout" | "stderr", text: string): void {
    this.#queue.push({ stream, chunk: Buffer.from(text) });
    this.#wake?.();
  }

  end(): void {
    this.#done = true;
    this.#wake?.();
  }

  close(): void {
    this.end();
  }

  async next(): Promise<IteratorResult<LogChunk>> {
    for (;;) {
      const item = this.#queue.shift();
      if (item) return { done: false, value: item };
      if (this.#done) return { done: true, value: undefined };
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }

  async return(): Promise<IteratorResult<LogChunk>> {
    this.close();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

export const IMAGE_ID = "sha256:0123456789abcdef";

/** A container as the engine lists it. */
export function summary(
  id: string,
  name: string,
  state: ContainerSummary["State"],
  labels: Record<string, string>,
  publicPort?: number,
): ContainerSummary {
  return {
    Id: id,
    Names: [`/${name}`],
    Image: "img",
    ImageID: IMAGE_ID,
    Command: "",
    Created: 0,
    State: state,
    Status: "",
    Labels: labels,
    Ports:
      publicPort === undefined
        ? []
        : [{ IP: "127.0.0.1", PrivatePort: 80, PublicPort: publicPort, Type: "tcp" }],
  };
}

export class FakeEngine {
  /** Every call, in order: "create <name>", "start <id>", "remove <id>", "kill <id> SIGTERM", … */
  readonly calls: string[] = [];
  /** What listContainers answers (its label filter applied). */
  containers: ContainerSummary[] = [];
  image: ImageInspect | undefined = { Id: IMAGE_ID, RepoTags: null, Created: "", Config: {} };
  readonly logs = new Map<string, FakeLogs>();
  readonly #exits = new Map<string, (result: WaitResult) => void>();
  #created = 0;

  /** As an EngineClient, for the code under test. */
  get client(): EngineClient {
    return this as unknown as EngineClient;
  }

  /** Ends the wait on `id` with `code`, as the engine does when the container stops. */
  exit(id: string, code: number): void {
    this.#exits.get(id)?.({ StatusCode: code });
  }

  logsOf(id: string): FakeLogs {
    let logs = this.logs.get(id);
    if (!logs) {
      logs = new FakeLogs();
      this.logs.set(id, logs);
    }
    return logs;
  }

  async listContainers(
    options: { all?: boolean; labels?: Record<string, string | true> } = {},
  ): Promise<ContainerSummary[]> {
    this.calls.push("list");
    return this.containers.filter((c) =>
      Object.entries(options.labels ?? {}).every(([k, v]) =>
        v === true ? c.Labels?.[k] !== undefined : c.Labels?.[k] === v,
      ),
    );
  }

  async imageInspect(ref: string): Promise<ImageInspect | undefined> {
    this.calls.push(`image ${ref}`);
    return this.image;
  }

  async pullImage(ref: string, _options: { signal?: AbortSignal } = {}): Promise<void> {
    this.calls.push(`pull ${ref}`);
  }

  async createContainer(
    name: string,
    _body: ContainerCreateBody,
    _options: { signal?: AbortSignal } = {},
  ): Promise<string> {
    this.calls.push(`create ${name}`);
    this.#created++;
    return `created${this.#created}`;
  }

  async startWaiting(id: string, _options: unknown = {}): Promise<{ exited: Promise<WaitResult> }> {
    this.calls.push(`wait ${id}`);
    const exited = new Promise<WaitResult>((resolve) => this.#exits.set(id, resolve));
    return { exited };
  }

  async startContainer(id: string): Promise<void> {
    this.calls.push(`start ${id}`);
  }

  async inspectContainer(id: string): Promise<ContainerInspect> {
    this.calls.push(`inspect ${id}`);
    return {
      Id: id,
      Name: `/${id}`,
      Created: "",
      Image: IMAGE_ID,
      RestartCount: 0,
      State: {
        Status: "running",
        Running: true,
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: 4242,
        ExitCode: 0,
        Error: "",
        StartedAt: "",
        FinishedAt: "",
      },
      Config: { Image: "img", Labels: {}, Tty: false, Env: [], Cmd: null },
      HostConfig: {} as ContainerInspect["HostConfig"],
      NetworkSettings: { Ports: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "41234" }] } },
    };
  }

  async killContainer(id: string, signal: string = "SIGKILL"): Promise<void> {
    this.calls.push(`kill ${id} ${signal}`);
  }

  async removeContainer(id: string, _options: unknown = {}): Promise<void> {
    this.calls.push(`remove ${id}`);
    this.exit(id, 137);
    this.logs.get(id)?.end();
  }

  async containerLogs(id: string, _options: unknown = {}): Promise<EngineStream<LogChunk>> {
    return this.logsOf(id) as unknown as EngineStream<LogChunk>;
  }

  close(): void {
    this.calls.push("close");
  }
}
