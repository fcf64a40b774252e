// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is berth's own syntax, written literally here.
// Rules that span several keys or services, checked on the normalized config. A rule whose
// inputs had errors of their own is skipped for that service (see NormalizedService.broken),
// so one mistake is reported once, not again as its consequences.
import { didYouMean } from "../lib/did-you-mean.js";
import { findCycles } from "./dependency-graph.js";
import { containerClient } from "./docker-run.js";
import { referencedVars } from "./expand.js";
import { error, type PathIssue, type PathSegment, warning } from "./issue.js";
import type { Normalized, NormalizedService } from "./normalize.js";
import { checkProgramsExist } from "./program-check.js";
import { checkSites } from "./site-rules.js";

export function checkRules(
  normalized: Normalized,
  env: Record<string, string | undefined>,
  issues: PathIssue[],
  checkFiles = true,
): void {
  checkDependencies(normalized, issues);
  checkPorts(normalized.services, issues);
  for (const service of normalized.services) {
    checkProbeNeedsPort(service, issues);
    checkDockerRun(service, issues);
    checkEnvCycles(service, issues);
    checkVars(service, env, issues);
    if (checkFiles) checkProgramsExist(service, env, issues);
  }
  checkSites(normalized.sites, normalized.services, normalized.names, issues);
}

function checkDependencies({ services, names }: Normalized, issues: PathIssue[]): void {
  const edges = new Map<string, string[]>();
  for (const { config, broken } of services) {
    if (broken.has("depends_on")) continue;
    edges.set(config.name, config.dependsOn);
    config.dependsOn.forEach((dep, i) => {
      const at: PathSegment[] = ["services", config.name, "depends_on", i];
      if (dep === config.name) {
        issues.push(error(at, `${dep} depends on itself; remove this entry`));
      } else if (!names.includes(dep)) {
        const hint = didYouMean(dep, names);
        const valid = hint ? `did you mean "${hint}"?` : `services are: ${names.join(", ")}`;
        issues.push(error(at, `no service named "${dep}"; ${valid}`));
      }
    });
  }
  for (const cycle of findCycles(names, edges)) {
    const [first, second] = cycle as [string, string];
    const i = edges.get(first)!.indexOf(second);
    issues.push(
      error(
        ["services", first, "depends_on", i],
        `dependency cycle: ${[...cycle, first].join(" → ")}; no service could start first: remove one of these depends_on entries`,
      ),
    );
  }
}

/**
 * Host ports: a command service's fixed port, an image service's fixed publish: (its port: is
 * inside its own container, so any number of them may use 80).
 */
function checkPorts(services: NormalizedService[], issues: PathIssue[]): void {
  const owner = new Map<number, string>();
  for (const { config, broken } of services) {
    const key = config.container ? "publish" : "port";
    const spec = config.container ? config.container.publish : config.port;
    if (broken.has(key) || broken.has("port") || spec.kind !== "fixed") continue;
    const { port } = spec;
    const at = ["services", config.name, key];
    const instead = config.container ? "publish: auto" : "port: auto";
    if (!broken.has("replicas") && config.replicas > 1) {
      issues.push(
        error(
          at,
          `port ${port} is fixed, so ${config.replicas} replicas cannot all listen on it; use ${instead}, or replicas: 1`,
        ),
      );
    }
    const first = owner.get(port);
    if (first === undefined) owner.set(port, config.name);
    else
      issues.push(
        error(at, `port ${port} is already used by service ${first}; use another port, or ${instead}`),
      );
  }
}

/**
 * `docker run` under berth is the setup berth replaces: killing the client leaves the container
 * running with its port taken, and its PID 1 may ignore the stop signal.
 */
function checkDockerRun({ config, broken }: NormalizedService, issues: PathIssue[]): void {
  if (config.container || broken.has("command")) return;
  const name = containerClient(config.command);
  if (name === undefined) return;
  issues.push(
    warning(
      ["services", config.name, "command"],
      `runs a container through the ${name} CLI: stopping the client does not stop the container (it keeps running, with its port taken); use image: instead, and berth runs the container itself (docs/config.md#instead-of-docker-run)`,
    ),
  );
}

function checkProbeNeedsPort({ config, broken }: NormalizedService, issues: PathIssue[]): void {
  if (broken.has("port") || broken.has("ready") || config.port.kind !== "none") return;
  const { kind } = config.ready;
  if (kind === "tcp" || kind === "http") {
    issues.push(
      error(
        ["services", config.name, "ready", kind],
        `${kind === "http" ? "an" : "a"} ${kind} probe needs a port to connect to; add port: auto (or the port the service listens on), or use ready: { exec: … }`,
      ),
    );
  }
}

/**
 * env entries referring to each other in a circle have no value: `A: ${B}` with `B: ${A}` would
 * fall back to berth's own A and fail at start with a misleading "${A} is not set". An entry
 * naming itself is not a cycle: it means berth's value (PATH: /x:${PATH}).
 */
function checkEnvCycles({ config, broken }: NormalizedService, issues: PathIssue[]): void {
  if (broken.has("env")) return;
  const keys = Object.keys(config.env);
  const edges = new Map<string, string[]>();
  for (const key of keys) {
    edges.set(
      key,
      referencedVars(config.env[key]!).filter((name) => name !== key && Object.hasOwn(config.env, name)),
    );
  }
  for (const cycle of findCycles(keys, edges)) {
    const shown = [...cycle, cycle[0]!].map((key) => `env.${key}`).join(" → ");
    issues.push(
      error(
        ["services", config.name, "env", cycle[0]!],
        `variable cycle: ${shown}; none of them can be given a value: remove one of these references`,
      ),
    );
  }
}

/**
 * ${PORT} needs a port: (berth sets PORT from it). Any other ${VAR} should come from the
 * service's env or berth's environment; one that does neither is only a warning, since it may
 * be exported before `berth up` runs.
 */
function checkVars(
  { config, broken, written }: NormalizedService,
  env: Record<string, string | undefined>,
  issues: PathIssue[],
) {
  const base = ["services", config.name];
  const hasPort = !broken.has("port") && config.port.kind !== "none";
  // An image service's env is the container's own: berth sets no PORT in it.
  if (hasPort && !config.container && Object.hasOwn(config.env, "PORT")) {
    issues.push(
      error(
        [...base, "env", "PORT"],
        "berth sets PORT from port:; remove it here (or remove port: to set it yourself)",
      ),
    );
  }

  const uses: Array<{ path: PathSegment[]; word: string; envKey?: string }> = [];
  if (!broken.has("command")) uses.push(...wordsAt(config.command, [...base, "command"], written.command));
  if (!broken.has("ready") && config.ready.kind === "exec" && typeof written.ready === "object") {
    uses.push(...wordsAt(config.ready.argv, [...base, "ready", "exec"], written.ready.exec));
  }
  if (!broken.has("env")) {
    for (const [key, value] of Object.entries(config.env))
      uses.push({ path: [...base, "env", key], word: value, envKey: key });
  }

  const reported = new Set<string>();
  for (const { path, word, envKey } of uses) {
    for (const name of referencedVars(word)) {
      const once = `${path.join("\0")}\0${name}`;
      if (reported.has(once)) continue;
      // An env value referring to its own name means berth's value (PATH: /x:${PATH}).
      const inEnv = Object.hasOwn(config.env, name) && name !== envKey;
      if (name === "PORT") {
        if (hasPort || inEnv || broken.has("port")) continue;
        const add = config.container
          ? "add port: (the port inside the container, like port: 80)"
          : "add port: auto (or a fixed port)";
        issues.push(error(path, `uses \${PORT} but the service has no port; ${add}`));
      } else if (!inEnv && env[name] === undefined) {
        issues.push(
          warning(
            path,
            `\${${name}} is not set in this service's env or in berth's environment; ` +
              "the service will not start unless it is set when berth starts",
          ),
        );
      } else {
        continue;
      }
      reported.add(once);
    }
  }
}

// A command written as one string is one place in the file; a list has one per word.
function wordsAt(words: string[], path: PathSegment[], written: unknown) {
  return words.map((word, i) => ({ path: typeof written === "string" ? path : [...path, i], word }));
}
