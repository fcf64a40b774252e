// How an Instance is run. ProcessRuntime runs a command; DockerRuntime a container.
// The supervisor only ever talks to this interface.
import type { ContainerConfig, ProbeConfig } from "../../config/config.js";
import type { Probe } from "../health/probe.js";

export type OutputStream = "stdout" | "stderr";

/** What a container is made of, for one run of an image service. */
export interface ContainerSpec extends ContainerConfig {
  /** Replaces the image's own command when not empty; expanded. */
  command: string[];
  /** The container's environment: the service's env, expanded; not berth's own. */
  env: Record<string, string>;
  /** The port inside (`port:`), published on 127.0.0.1:hostPort. */
  port?: number;
  hostPort?: number;
  /** The stop ladder's first signal: the engine's StopSignal, what a `docker stop` sends too. */
  stopSignal: NodeJS.Signals;
  /** Seconds from the first signal to the ladder's SIGKILL: what a `docker stop` waits. */
  stopTimeoutS: number;
}

export interface InstanceSpec {
  /** "web#1" */
  instance: string;
  service: string;
  /** Fully expanded. */
  argv: string[];
  cwd: string;
  /** The complete environment of the instance, its BERTH_INSTANCE marker included. */
  env: Record<string, string>;
  /** Set for an image service: the instance is this container (argv is then its command). */
  container?: ContainerSpec;
  onOutput(stream: OutputStream, line: string): void;
  /**
   * Aborted when the instance is told to stop while it is being started: a runtime that can
   * (the DockerRuntime) abandons a slow step (a pull) and creates nothing any more.
   */
  signal?: AbortSignal;
}

export interface RunEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the end could not be known exactly (the Docker engine went away meanwhile). */
  error?: string;
}

export interface RunningInstance {
  /** What to show the user: "pid 1234" or "container 1a2b3c4d5e6f". */
  readonly label: string;
  readonly pid?: number;
  /**
   * The host port it is reachable at, when the runtime decided it rather than the port it was
   * given (an adopted container keeps the one it was published on).
   */
  readonly port?: number;
  /**
   * This run's readiness test, given the configured one (undefined: ready at once), when the
   * runtime knows better than the config alone: a container's published port accepts
   * connections before its app listens, and its image may have a HEALTHCHECK.
   */
  readiness?(configured: Probe | undefined, config: ProbeConfig): Probe | undefined;
  /** Settles once the instance itself (its main process) has ended; never rejects. */
  readonly ended: Promise<RunEnd>;
  /** Sends a signal to the instance and everything it started (its process group, its cgroup). */
  signal(signal: NodeJS.Signals): void;
  /** Whether anything the instance started still runs (its group, its cgroup), itself included. */
  alive(): boolean;
  /** After the end: stop whatever the instance left behind. Resolves to how many were killed. */
  cleanup(): Promise<number>;
}

/** Thrown by Runtime.start when the instance could not be created; the message says why. */
export class StartError extends Error {
  override name = "StartError";
}

export interface Runtime {
  start(spec: InstanceSpec): Promise<RunningInstance>;
}
