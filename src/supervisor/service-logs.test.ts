import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Config } from "../config/config.js";
import { normalize } from "../config/normalize.js";
import { ServiceLogs } from "./service-logs.js";

function configIn(stateDir: string): Config {
  const normalized = normalize({ services: { web: { command: "x" } } }, [], join(stateDir, "b.yaml"), []);
  return { ...normalized!.config, stateDir };
}

test("a log directory that cannot be created is reported once, not once per line", async () => {
  const dir = await mkdtemp(join(tmpdir(), "berth-servicelogs-"));
  try {
    await writeFile(join(dir, "logs"), ""); // <state dir>/logs is a file: mkdir fails
    const reported: string[] = [];
    const logs = new ServiceLogs(configIn(dir), (line) => reported.push(line));
    for (let n = 0; n < 50; n++) {
      logs.line("web#1", "stdout", `line ${n}`);
      await new Promise((resolve) => setImmediate(resolve)); // let each line reach the file on its own
    }
    await logs.close();
    const path = join(dir, "logs", "web.log");
    assert.equal(reported.length, 1, reported.join(""));
    assert.match(
      reported[0]!,
      new RegExp(
        `^berth: cannot write ${path}: .*(ENOTDIR|EEXIST).*; its lines are dropped until it can be written again\\n$`,
      ),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
