import assert from "node:assert/strict";
import { test } from "node:test";
import { Command } from "commander";
import { configFailureSummary, configOption } from "./config-option.js";

function parse(args: string[]): string {
  let config = "";
  const program = new Command("berth").exitOverride();
  program
    .command("up")
    .addOption(configOption())
    .action((options: { config: string }) => {
      config = options.config;
    });
  program.parse(["node", "berth", "up", ...args]);
  return config;
}

test("-c/--config defaults to berth.yaml and takes a path in either spelling", () => {
  assert.equal(parse([]), "berth.yaml");
  assert.equal(parse(["-c", "site/berth.yaml"]), "site/berth.yaml");
  assert.equal(parse(["--config", "other.yaml"]), "other.yaml");
});

test("each call gives a fresh option, so several verbs can add it", () => {
  assert.notEqual(configOption(), configOption());
  assert.equal(configOption().flags, "-c, --config <path>");
});

test("the failure summary says nothing was started only for up; check never starts anything", () => {
  assert.equal(
    configFailureSummary(2, "berth.yaml", "up"),
    "berth: 2 errors in berth.yaml; nothing was started",
  );
  assert.equal(configFailureSummary(1, "broken.yaml", "check"), "berth: 1 error in broken.yaml");
});
