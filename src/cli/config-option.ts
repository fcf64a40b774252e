import { resolve } from "node:path";
import { Option } from "commander";
import type { Config } from "../config/config.js";
import { formatIssue, loadConfig } from "../config/load.js";

export const DEFAULT_CONFIG = "berth.yaml";

/** `-c, --config <path>`, the same for every verb that reads a config. */
export function configOption(): Option {
  return new Option("-c, --config <path>", "the config file").default(DEFAULT_CONFIG);
}

/** Loads the config and prints every issue; exits 2 when there is an error among them. */
export async function loadConfigOrExit(path: string): Promise<Config> {
  const { config, issues } = await loadConfig(resolve(path));
  for (const issue of issues) process.stderr.write(`${formatIssue(issue)}\n`);
  if (!config) {
    const errors = issues.filter((i) => i.severity === "error").length;
    process.stderr.write(
      `berth: ${errors} error${errors === 1 ? "" : "s"} in ${path}; nothing was started\n`,
    );
    process.exit(2);
  }
  return config;
}
