import { resolve } from "node:path";
import { Option } from "commander";
import type { Config } from "../config/config.js";
import { formatIssue, loadConfig } from "../config/load.js";

export const DEFAULT_CONFIG = "berth.yaml";

/** `-c, --config <path>`, the same for every verb that reads a config. */
export function configOption(): Option {
  return new Option("-c, --config <path>", "the config file").default(DEFAULT_CONFIG);
}

/**
 * Loads the config and prints every issue; exits 2 when there is an error among them (also when
 * the file cannot be read). `verb` words the summary: only `up` would have started something.
 */
export async function loadConfigOrExit(path: string, verb: "up" | "check" = "up"): Promise<Config> {
  const { config, issues } = await loadConfig(resolve(path));
  for (const issue of issues) process.stderr.write(`${formatIssue(issue)}\n`);
  if (!config) {
    const errors = issues.filter((i) => i.severity === "error").length;
    process.stderr.write(`${configFailureSummary(errors, path, verb)}\n`);
    process.exit(2);
  }
  return config;
}

/** The last line when the config has errors: `berth: 2 errors in berth.yaml; nothing was started`. */
export function configFailureSummary(errors: number, path: string, verb: "up" | "check"): string {
  const summary = `berth: ${errors} error${errors === 1 ? "" : "s"} in ${path}`;
  return verb === "up" ? `${summary}; nothing was started` : summary;
}
