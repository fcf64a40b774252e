import type { ServiceConfig } from "../config/config.js";
import { expandEnv, expandVars } from "../config/expand.js";
import { MARKER_VAR } from "./runtime/process-sweeper.js";

export interface LaunchPlan {
  argv: string[];
  env: Record<string, string>;
  /** The exec readiness probe's words, expanded like the command's. */
  probeArgv?: string[];
}

/**
 * What one run of an instance is started with: berth's environment, the service's env,
 * $PORT and the marker every process of the instance carries (its probes' too), with
 * ${VAR} expanded. Throws when a ${VAR} is not set: the instance cannot start then.
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
  const expand = (words: string[]) => words.map((word) => expandVars(word, env));
  return {
    argv: expand(service.command),
    env,
    probeArgv: service.ready.kind === "exec" ? expand(service.ready.argv) : undefined,
  };
}
