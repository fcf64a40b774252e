#!/usr/bin/env node
import { Command } from "commander";
import { registerCheck } from "./check.js";
import { registerSchema } from "./schema.js";
import { registerUp } from "./up.js";

const program = new Command("berth")
  .description(
    "a reverse proxy and a supervisor in one: runs the services of berth.yaml and keeps them alive",
  )
  .version("0.1.0")
  .showHelpAfterError("(run berth --help for the verbs, or berth <verb> --help)");

registerUp(program);
registerCheck(program);
registerSchema(program);

await program.parseAsync(process.argv);
