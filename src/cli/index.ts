#!/usr/bin/env node
// Plain `env node`: busybox env (Alpine) has no -S to pass node flags here. A long-running
// berth does better with --max-semi-space-size=4 (less CPU per proxied request and a lower peak
// RSS under load than node's default or 1 MiB, bench/RESULTS.md): npm start and the bench pass
// it, and the README shows NODE_OPTIONS for it.
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { registerCheck } from "./check.js";
import { registerSchema } from "./schema.js";
import { registerUp } from "./up.js";

const program = new Command("berth")
  .description(
    "a reverse proxy and a supervisor in one: runs the services of berth.yaml, keeps them alive, and serves its sites",
  )
  .version(packageVersion())
  .showHelpAfterError("(run berth --help for the verbs, or berth <verb> --help)");

function packageVersion(): string {
  // src/cli/ when run through tsx, dist/cli/ when built: package.json is two levels up from both.
  const file = new URL("../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

registerUp(program);
registerCheck(program);
registerSchema(program);
program.addHelpText(
  "after",
  `
Examples:
  berth up                     run berth.yaml from this directory in the foreground
  berth up -c site/berth.yaml  run another file; relative paths in it resolve from its directory
  berth check                  validate berth.yaml; exit 2 and list every problem when invalid

Config keys: docs/config.md. Verbs: docs/cli.md.`,
);

await program.parseAsync(process.argv);
