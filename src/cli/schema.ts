import type { Command } from "commander";
import { configJsonSchema } from "../config/json-schema.js";

export function registerSchema(program: Command): void {
  program
    .command("schema")
    .description("print the JSON Schema of berth.yaml, for editor completion and validation")
    .action(() => {
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    });
}
