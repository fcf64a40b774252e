// How an Instance is run. ProcessRuntime runs a command; DockerRuntime (later) a container.
// The supervisor only ever talks to this interface.

export type OutputStream = "stdout" | "stderr";

export interface InstanceSpec {
  /** "web#1" */
  instance: string;
  service: string;
  /** Fully expanded. */
  argv: string[];
  cwd: string;
  /** The complete environment of the instance, its BERTH_INSTANCE marker included. */
  env: Record<string, string>;
  onOutput(stream: OutputStream, line: string): void;
}

export interface RunEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningInstance {
  /** What to show the user: "pid 1234" or a container id. */
  readonly label: string;
  readonly pid?: number;
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
