import { resolve } from "node:path";
import type { Config } from "../config/config.js";
import { formatIssue, loadConfig } from "../config/load.js";

export const DEFAULT_CONFIG = "berth.yaml";

/** Loads the config and prints every issue; exits 2 when there is an error among them. */
export async function loadConfigOrExit(path: string | undefined): Promise<Config> {
  const file = resolve(path ?? DEFAULT_CONFIG);
  const { config, issues } = await loadConfig(file);
  for (const issue of issues) process.stderr.write(`${formatIssue(issue)}\n`);
  if (!config) {
    const errors = issues.filter((i) => i.severity === "error").length;
    process.stderr.write(
      `berth: ${errors} error${errors === 1 ? "" : "s"} in ${path ?? DEFAULT_CONFIG}; nothing was started\n`,
    );
    process.exit(2);
  }
  return config;
}
