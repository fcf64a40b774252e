// The parts of the Docker Engine API (v1.41) that berth sends and reads, named as the API names
// them. Only the fields berth uses are typed; the engine sends more.

export interface EngineVersion {
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
}

export interface PortBinding {
  /** "127.0.0.1" to publish on loopback only. */
  HostIp?: string;
  /** "" lets the engine choose a free port. */
  HostPort?: string;
}

export interface HealthConfig {
  /** ["CMD", "arg", …], ["CMD-SHELL", "command"] or ["NONE"]. */
  Test?: string[];
  /** Nanoseconds. */
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

export interface HostConfig {
  /** "80/tcp" → bindings. */
  PortBindings?: Record<string, PortBinding[]>;
  /** Run the engine's init (tini) as PID 1. */
  Init?: boolean;
  AutoRemove?: boolean;
  /** "host-path:container-path[:ro]" or "volume:container-path". */
  Binds?: string[];
  NetworkMode?: string;
  RestartPolicy?: {
    Name: "" | "no" | "always" | "unless-stopped" | "on-failure";
    MaximumRetryCount?: number;
  };
  ExtraHosts?: string[];
}

export interface ContainerCreateBody {
  Image: string;
  Cmd?: string[];
  Entrypoint?: string[];
  /** "NAME=value" */
  Env?: string[];
  Labels?: Record<string, string>;
  /** "80/tcp" → {} */
  ExposedPorts?: Record<string, Record<string, never>>;
  /** What the stop call sends first; API 1.41 ignores a signal passed to the stop call itself. */
  StopSignal?: string;
  /** Seconds the stop call waits before SIGKILL when it is given no timeout. */
  StopTimeout?: number;
  User?: string;
  WorkingDir?: string;
  Tty?: boolean;
  OpenStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Healthcheck?: HealthConfig;
  HostConfig?: HostConfig;
}

export type ContainerStatus =
  | "created"
  | "running"
  | "paused"
  | "restarting"
  | "removing"
  | "exited"
  | "dead";
export type HealthStatus = "none" | "starting" | "healthy" | "unhealthy";

export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  /** 0 when it does not run. */
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: {
    Status: HealthStatus;
    FailingStreak: number;
    Log: { Start: string; End: string; ExitCode: number; Output: string }[] | null;
  };
}

export interface ContainerInspect {
  Id: string;
  /** With a leading "/": "/berth-web-1". */
  Name: string;
  Created: string;
  Image: string;
  RestartCount: number;
  State: ContainerState;
  Config: {
    Image: string;
    Labels: Record<string, string> | null;
    Tty: boolean;
    Env: string[] | null;
    Cmd: string[] | null;
    StopSignal?: string;
    Healthcheck?: HealthConfig;
  };
  HostConfig: HostConfig;
  NetworkSettings: {
    /** "80/tcp" → what it is published on; null when not published (or not running). */
    Ports: Record<string, PortBinding[] | null> | null;
  };
}

export interface ContainerSummary {
  Id: string;
  /** With leading slashes: ["/berth-web-1"]. */
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  /** Seconds since the epoch. */
  Created: number;
  State: ContainerStatus;
  /** "Up 3 seconds", "Exited (137) 2 seconds ago". */
  Status: string;
  Labels: Record<string, string> | null;
  Ports: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[];
}

export interface ImageInspect {
  Id: string;
  RepoTags: string[] | null;
  Created: string;
  Config: {
    Cmd?: string[] | null;
    Entrypoint?: string[] | null;
    ExposedPorts?: Record<string, object> | null;
    Labels?: Record<string, string> | null;
    StopSignal?: string;
    Healthcheck?: HealthConfig;
  } | null;
}

export interface WaitResult {
  /** The container's exit code: 128 + n when signal n ended it (137: SIGKILL). */
  StatusCode: number;
  Error?: { Message: string } | null;
}

/** One event of GET /events. */
export interface EngineEvent {
  /** "container", "image", "network", … */
  Type: string;
  /** "create", "start", "kill", "die", "stop", "destroy", "health_status: healthy", … */
  Action: string;
  Actor: {
    ID: string;
    /** For a container: its labels, plus name, image, and per action exitCode (die) or signal (kill). */
    Attributes: Record<string, string>;
  };
  scope?: string;
  /** Seconds since the epoch. */
  time: number;
  timeNano: number;
}
