// WrittenConfig → Config: defaults filled in, durations in ms, commands split, paths absolute.
// It works key by key and tolerates keys that failed the schema (they are listed as broken and
// get their default), so the cross-field rules can still check everything else in the same run:
// all problems are reported at once, not one per attempt.
import { dirname, resolve } from "node:path";
import { formatDuration, parseDuration } from "../lib/durations.js";
import { normalizeCommand, varsAreWellFormed } from "./command.js";
import type { BackoffConfig, Config, LogFileConfig, PortSpec, ServiceConfig } from "./config.js";
import { checkServiceKind, imagePort, normalizeContainer } from "./container.js";
import { error, type PathIssue, type PathSegment } from "./issue.js";
import { normalizeReady } from "./probe.js";
import { normalizeProxy } from "./proxy-settings.js";
import type { WrittenConfig, WrittenService } from "./schema.js";
import { type NormalizedSite, normalizeSites } from "./sites.js";
import { parseSize } from "./size.js";
import { normalizeStop } from "./stop-ladder.js";

export const DEFAULT_BACKOFF: BackoffConfig = { initialMs: 100, maxMs: 30_000, resetAfterMs: 10_000 };
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
export const DEFAULT_LOGS: LogFileConfig = { enabled: true, maxBytes: 10 * 1024 ** 2, keep: 3 };

export interface NormalizedService {
  config: ServiceConfig;
  /** Keys of this service that had errors: they hold defaults, and rules about them are skipped. */
  broken: Set<string>;
  /** The keys as written that passed the schema (to tell a command string from a list). */
  written: Partial<WrittenService>;
}

export interface Normalized {
  config: Config;
  services: NormalizedService[];
  /** Every service name written, including services too broken to normalize. */
  names: string[];
  sites: NormalizedSite[];
}

type Service = Partial<WrittenService>;

/**
 * `data` is the parsed YAML, `schemaIssues` what the schema found wrong with it. Returns
 * undefined when there is nothing to normalize (no services map); issues go to `issues`.
 */
export function normalize(
  data: unknown,
  schemaIssues: readonly PathIssue[],
  file: string,
  issues: PathIssue[],
): Normalized | undefined {
  if (!isPlainObject(data)) return undefined;
  if (!isPlainObject(data.services)) return undefined;
  const written = data as Partial<WrittenConfig>;
  const dir = dirname(file);

  // Which keys failed the schema: services.<name>.<key>…, or a whole service (wrong type).
  const brokenKeys = new Map<string, Set<string>>();
  const brokenServices = new Set<string>();
  let stateDirBroken = false;
  for (const issue of schemaIssues) {
    const [top, name, key] = issue.path;
    if (top === "state_dir") stateDirBroken = true;
    if (top !== "services" || typeof name !== "string") continue;
    if (key === undefined) {
      if (issue.at !== "key") brokenServices.add(name);
      continue;
    }
    const keys = brokenKeys.get(name) ?? new Set<string>();
    keys.add(String(key));
    brokenKeys.set(name, keys);
  }

  // Unknown keys taken for another ("comand" → command): services.<name>.<suggested key>.
  const suggested = new Set(
    schemaIssues.flatMap((i) => {
      const hint =
        i.at === "key" && i.path[0] === "services" ? /did you mean "([^"]+)"/.exec(i.message) : null;
      return hint ? [`${String(i.path[1])}.${hint[1]}`] : [];
    }),
  );

  const names = Object.keys(data.services);
  const services: NormalizedService[] = [];
  for (const name of names) {
    const raw = data.services[name];
    if (brokenServices.has(name) || !isPlainObject(raw)) continue;
    const broken = brokenKeys.get(name) ?? new Set<string>();
    const at = (...path: PathSegment[]): PathSegment[] => ["services", name, ...path];
    checkServiceKind(raw, (key) => suggested.has(`${name}.${key}`), at, issues);
    const valid = Object.fromEntries(Object.entries(raw).filter(([k]) => !broken.has(k))) as Service;
    const isImage = Object.hasOwn(raw, "image");
    services.push({
      config: normalizeService(name, valid, isImage, broken, dir, issues),
      broken,
      written: valid,
    });
  }

  const sites = normalizeSites(data.sites, schemaIssues, issues);
  const brokenProxyKeys = new Set(
    schemaIssues.filter((i) => i.path[0] === "proxy").map((i) => i.path.slice(1, 3).join(".")),
  );
  const stateDir = written.state_dir && !stateDirBroken ? written.state_dir : ".berth";
  return {
    config: {
      file,
      stateDir: resolve(dir, stateDir),
      services: services.map((s) => s.config),
      sites: sites.map((s) => s.config),
      proxy: normalizeProxy(
        isPlainObject(written.proxy) ? written.proxy : undefined,
        brokenProxyKeys,
        issues,
      ),
    },
    services,
    names,
    sites,
  };
}

function normalizeService(
  name: string,
  w: Service,
  isImage: boolean,
  broken: Set<string>,
  dir: string,
  issues: PathIssue[],
): ServiceConfig {
  const at = (...path: PathSegment[]): PathSegment[] => ["services", name, ...path];
  // A key whose value cannot be used joins `broken` and falls back to its default.
  const orDefault = <T>(key: string, value: T | undefined, fallback: T): T => {
    if (value !== undefined) return value;
    broken.add(key);
    return fallback;
  };

  const port: PortSpec = isImage
    ? orDefault("port", imagePort(w, at("port"), issues), { kind: "none" })
    : w.port === undefined
      ? { kind: "none" }
      : typeof w.port === "string" // the schema let only auto through, in any case
        ? { kind: "auto" }
        : { kind: "fixed", port: w.port };

  let command: string[] = [];
  if (w.command !== undefined)
    command = orDefault("command", normalizeCommand(w.command, at("command"), issues), []);
  // Missing (or broken): said already. An image service without one runs its image's command.
  else if (!isImage) broken.add("command");
  const container = isImage ? normalizeContainer(w, port, dir, broken, at, issues) : undefined;

  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(w.env ?? {})) {
    env[key] = String(value);
    if (!varsAreWellFormed(env[key], at("env", key), issues)) broken.add("env");
  }

  return {
    name,
    command,
    ...(container && { container }),
    cwd: resolve(dir, w.cwd ?? "."),
    env,
    replicas: w.replicas ?? 1,
    port,
    dependsOn: [...new Set(w.depends_on ?? [])],
    ready: orDefault("ready", normalizeReady(w.ready, port, at("ready"), issues), { kind: "none" }),
    restart: w.restart ?? "always",
    backoff: orDefault("backoff", normalizeBackoff(w.backoff, at("backoff"), issues), DEFAULT_BACKOFF),
    stop: orDefault("stop", normalizeStop(w.stop, at("stop"), issues), normalizeStop(undefined, [], [])!),
    drainTimeoutMs:
      w.drain_timeout === undefined ? DEFAULT_DRAIN_TIMEOUT_MS : parseDuration(w.drain_timeout)!,
    logs: orDefault("logs", normalizeLogs(w.logs, at("logs"), issues), DEFAULT_LOGS),
  };
}

function normalizeBackoff(
  w: Service["backoff"],
  path: PathSegment[],
  issues: PathIssue[],
): BackoffConfig | undefined {
  const ms = (v: string | number | undefined, fallback: number) =>
    v === undefined ? fallback : parseDuration(v)!;
  const backoff = {
    initialMs: ms(w?.initial, DEFAULT_BACKOFF.initialMs),
    maxMs: ms(w?.max, DEFAULT_BACKOFF.maxMs),
    resetAfterMs: ms(w?.reset_after, DEFAULT_BACKOFF.resetAfterMs),
  };
  if (backoff.initialMs < 1) {
    // 0 (or less than 1ms, which rounds to 0) would restart a crashing instance in a busy loop.
    issues.push(
      error(
        [...path, "initial"],
        'expected at least 1ms, like "100ms"; 0 would restart a crashing instance in a busy loop',
      ),
    );
    return undefined;
  }
  if (backoff.initialMs > backoff.maxMs) {
    const max = `${formatDuration(backoff.maxMs)}${w?.max === undefined ? ", the default" : ""}`;
    issues.push(
      error(
        [...path, "initial"],
        `initial (${formatDuration(backoff.initialMs)}) is longer than max (${max}); make initial ≤ max`,
      ),
    );
    return undefined;
  }
  return backoff;
}

function normalizeLogs(
  w: Service["logs"],
  path: PathSegment[],
  issues: PathIssue[],
): LogFileConfig | undefined {
  if (w === undefined) return { ...DEFAULT_LOGS };
  if (w === false) return { ...DEFAULT_LOGS, enabled: false };
  const maxBytes = w.max_size === undefined ? DEFAULT_LOGS.maxBytes : parseSize(w.max_size)!;
  if (maxBytes === 0) {
    issues.push(error([...path, "max_size"], 'expected a size above 0, like "10MiB"'));
    return undefined;
  }
  return { enabled: w.file ?? true, maxBytes, keep: w.keep ?? DEFAULT_LOGS.keep };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
