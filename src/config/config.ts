// The normalized Config: what the rest of berth reads. The YAML as the user wrote it
// (WrittenConfig) is turned into this by config/normalize.ts; nothing downstream sees raw YAML.

export type RestartMode = "always" | "on-failure" | "never";

export type PortSpec = { kind: "none" } | { kind: "fixed"; port: number } | { kind: "auto" };

export type ProbeConfig =
  | { kind: "tcp"; intervalMs: number; timeoutMs: number }
  | { kind: "http"; path: string; intervalMs: number; timeoutMs: number }
  | { kind: "exec"; argv: string[]; intervalMs: number; timeoutMs: number }
  | { kind: "none" };

export interface BackoffConfig {
  initialMs: number;
  maxMs: number;
  /** A run that lasts this long counts as stable: the next failure starts again at initialMs. */
  resetAfterMs: number;
}

export interface StopStep {
  signal: NodeJS.Signals;
  /** Milliseconds since the stop began (not since the previous step). */
  atMs: number;
}

/** The stop ladder. Always ends with a SIGKILL step. */
export interface StopPolicy {
  steps: StopStep[];
}

export interface LogFileConfig {
  enabled: boolean;
  maxBytes: number;
  /** Rotated files kept besides the live one (web.log.1 … web.log.N). */
  keep: number;
}

/** How an image service's container is made (`image:` and the keys only it has). */
export interface ContainerConfig {
  image: string;
  /**
   * The host port on 127.0.0.1 that the service's `port` (inside) is published on: auto (a free
   * one berth picks) or fixed; none when the service has no port.
   */
  publish: PortSpec;
  /** "/abs/host/path:/inside[:ro]" or "volume-name:/inside[:ro]"; host paths made absolute. */
  volumes: string[];
  network?: string;
  user?: string;
  /** The engine's init (tini) as PID 1, so signals reach the app. */
  init: boolean;
  pull: PullPolicy;
  /** The user's own labels; berth adds its ownership labels (docker-labels.ts) to them. */
  labels: Record<string, string>;
  /** Keep the container after it exited (for inspection) instead of removing it. */
  keep: boolean;
  /** On `berth up`, take over a container of an earlier run that is unchanged instead of replacing it. */
  adopt: boolean;
}

export type PullPolicy = "never" | "missing";

export interface ServiceConfig {
  name: string;
  /**
   * The program and its arguments, split like a shell would split words but never run
   * through one. `${VAR}` references are still unexpanded here: they are expanded per
   * Instance, when $PORT is known. For an image service, the image's command is replaced by
   * this when it is not empty.
   */
  command: string[];
  /** Set for an image service: the instance is a container, and `port` is the port inside it. */
  container?: ContainerConfig;
  /** Absolute. */
  cwd: string;
  env: Record<string, string>;
  replicas: number;
  port: PortSpec;
  dependsOn: string[];
  ready: ProbeConfig;
  restart: RestartMode;
  backoff: BackoffConfig;
  stop: StopPolicy;
  /**
   * How long a stopping instance, out of the proxy's rotation, may finish the requests it is
   * serving before its stop ladder starts; 0 starts the ladder at once.
   */
  drainTimeoutMs: number;
  logs: LogFileConfig;
}

export interface Config {
  /** Absolute path of the file read. */
  file: string;
  /** Absolute; where berth keeps log files and run.json (the record of the running berth). */
  stateDir: string;
  /** In the order written. */
  services: ServiceConfig[];
  /** The proxy's sites, in the order written. */
  sites: SiteConfig[];
  proxy: ProxySettings;
}

// ---- The proxy's sites (issue 3). ----

export interface ListenAddress {
  /** An IP address to bind: "127.0.0.1", "::1", "0.0.0.0", "::". */
  host: string;
  port: number;
}

export interface HeaderOps {
  /** Replace (or add) these headers. Names as written; matched case-insensitively. */
  set: Record<string, string>;
  /** Add a value, keeping any already there. */
  add: Record<string, string>;
  /** Remove these headers. */
  remove: string[];
}

export type UpstreamConfig =
  | { kind: "service"; service: string; balance: "round_robin" | "least_conn" }
  | { kind: "url"; url: URL };

export interface RouteTimeouts {
  /** Connecting to the upstream. */
  connectMs: number;
  /** Until the upstream's response head arrives. */
  responseHeaderMs: number;
  /** No byte either way for this long ends the exchange. */
  idleMs: number;
}

export interface RouteConfig {
  /** A normalized path prefix that starts (and, unless it is "/", does not end) with "/". */
  path: string;
  stripPrefix: boolean;
  upstream: UpstreamConfig;
  /** Send the client's Host to the upstream (default), or the upstream's own. */
  preserveHost: boolean;
  requestHeaders: HeaderOps;
  responseHeaders: HeaderOps;
  timeouts: RouteTimeouts;
}

export interface SiteConfig {
  listen: ListenAddress[];
  /** Exact names and "*.domain" wildcards, lower-cased; empty = any host. */
  hosts: string[];
  /** Answers requests for a Host no site on its listener names. */
  isDefault: boolean;
  /** Peers whose X-Forwarded-* / Forwarded headers are kept and appended to (CIDR, normalized). */
  trustedProxies: string[];
  routes: RouteConfig[];
}

/** Requests held while no instance of a service is ready (per service). */
export interface HoldLimits {
  maxWaitMs: number;
  maxRequests: number;
  /** Declared request body bytes (Content-Length) waiting at once. */
  maxBytes: number;
}

/** Limits on client connections. */
export interface ClientLimits {
  /** The whole request head must arrive within this (slowloris). */
  headerTimeoutMs: number;
  /** The whole request, body included, must arrive within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** No byte either way on a client connection for this long closes it; 0: never. */
  idleTimeoutMs: number;
  /** Request head size limit (request line and header fields). */
  maxHeaderBytes: number;
  /** Header fields per request. */
  maxHeaders: number;
}

export interface ProxySettings {
  hold: HoldLimits;
  client: ClientLimits;
  /** Write <state_dir>/logs/access.log. */
  accessLog: boolean;
}
