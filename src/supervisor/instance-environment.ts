import type { ServiceConfig } from "../config/config.js";
import { expandEnv, expandVars } from "../config/expand.js";
import { MARKER_VAR } from "./runtime/process-sweeper.js";
import type { ContainerSpec } from "./runtime/runtime.js";

export interface LaunchPlan {
  /** The command (a container's: its override, perhaps empty). */
  argv: string[];
  /** The environment of a process, and of exec probes (which run on the host for containers too). */
  env: Record<string, string>;
  /** The exec readiness probe's words, expanded like the command's. */
  probeArgv?: string[];
  /** An image service's container environment: only its own env, not berth's. */
  containerEnv?: Record<string, string>;
}

/**
 * What one run of an instance is started with: berth's environment, the service's env,
 * $PORT and the marker every process of the instance carries (its probes' too), with
 * ${VAR} expanded. Throws when a ${VAR} is not set: the instance cannot start then.
 *
 * For an image service ${PORT} means the port inside the container in its command and env
 * (which live inside), and the host port in ready.exec (which runs on the host).
 */
export function launchPlan(
  service: ServiceConfig,
  baseEnv: Record<string, string | undefined>,
  marker: string,
  port: number | undefined,
): LaunchPlan {
  const vars: Record<string, string | undefined> = { ...baseEnv };
  if (port !== undefined) vars.PORT = String(port);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(vars)) if (value !== undefined) env[key] = value;
  Object.assign(env, expandEnv(service.env, vars), { [MARKER_VAR]: marker });
  const expand = (words: string[], with_: Record<string, string | undefined>) =>
    words.map((word) => expandVars(word, with_));
  const probeArgv = service.ready.kind === "exec" ? expand(service.ready.argv, env) : undefined;
  if (!service.container) return { argv: expand(service.command, env), env, probeArgv };

  const inside: Record<string, string | undefined> = { ...baseEnv };
  if (service.port.kind === "fixed") inside.PORT = String(service.port.port);
  const containerEnv = expandEnv(service.env, inside);
  return { argv: expand(service.command, { ...inside, ...containerEnv }), env, probeArgv, containerEnv };
}

/** The container of one run of an image service, published on `hostPort`. */
export function containerSpec(
  service: ServiceConfig,
  plan: LaunchPlan,
  hostPort: number | undefined,
): ContainerSpec {
  const container = service.container!;
  const steps = service.stop.steps;
  const first = steps[0]!;
  return {
    ...container,
    command: plan.argv,
    env: plan.containerEnv ?? {},
    ...(service.port.kind === "fixed" && { port: service.port.port }),
    ...(hostPort !== undefined && { hostPort }),
    stopSignal: first.signal,
    stopTimeoutS: Math.ceil((steps.at(-1)!.atMs - first.atMs) / 1000),
  };
}
