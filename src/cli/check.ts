import type { Command } from "commander";
import { configOption, loadConfigOrExit } from "./config-option.js";

export function registerCheck(program: Command): void {
  program
    .command("check")
    .description("validate berth.yaml without running anything; exit 0 when valid, 2 when not")
    .addOption(configOption())
    .action(async (options: { config: string }) => {
      const config = await loadConfigOrExit(options.config, "check");
      const names = config.services.map((s) => s.name).join(", ");
      process.stdout.write(`${options.config} is valid: ${config.services.length} services (${names})\n`);
    });
}
