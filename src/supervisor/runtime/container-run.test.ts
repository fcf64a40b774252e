// A ContainerRun against an engine in memory (test/support/fake-engine.ts): a failed kill is
// reported, and an exit is reported at once while the last output may still be arriving.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeEngine } from "../../../test/support/fake-engine.js";
import { EngineConnectionError, EngineError } from "../../docker/engine-error.js";
import { ContainerRun } from "./container-run.js";

const ID = "c0ffee000001";

async function run(engine: FakeEngine, reports: string[], lines: string[] = []) {
  const { exited } = await engine.startWaiting(ID);
  return new ContainerRun({
    engine: engine.client,
    id: ID,
    exited,
    onOutput: (stream, line) => lines.push(`${stream}: ${line}`),
    report: (message) => reports.push(message),
    keep: false,
    healthcheck: false,
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("a kill the engine fails is reported in berth's log (the last SIGKILL too); one on a container that does not run is not", async () => {
  const engine = new FakeEngine();
  engine.killContainer = async (id, signal = "SIGKILL") => {
    engine.calls.push(`kill ${id} ${signal}`);
    if (signal === "SIGTERM")
      throw new EngineError(`sending SIGTERM to container ${id}`, 409, `container ${id} is not running`);
    throw EngineConnectionError.timeout(`sending ${signal} to container ${id}`, "unix:///x.sock", 30_000);
  };
  const reports: string[] = [];
  const container = await run(engine, reports);
  container.signal("SIGTERM");
  container.signal("SIGKILL");
  for (let i = 0; i < 10; i++) await sleep(1);
  assert.deepEqual(reports, [
    `sending SIGKILL to container ${ID}: the Docker engine at unix:///x.sock did not answer within 30000 ms`,
  ]);
  engine.exit(ID, 137);
  await container.ended;
  await container.cleanup();
});

test("an exit is reported at once though the log stream goes on; a line that comes late is still written before the removal", async () => {
  const engine = new FakeEngine();
  const reports: string[] = [];
  const lines: string[] = [];
  const container = await run(engine, reports, lines);
  const logs = engine.logsOf(ID);
  logs.push("stdout", "before\n");
  await sleep(5);
  const exitedAt = performance.now();
  engine.exit(ID, 3);
  const end = await container.ended;
  const took = performance.now() - exitedAt;
  assert.deepEqual(end, { code: 3, signal: null });
  assert.ok(took < 500, `the exit was reported ${took.toFixed(0)} ms after the wait returned`);
  assert.equal(container.alive(), false);

  // Cleaned up at once, as the Instance does; the last line arrives a little later.
  const cleaned = container.cleanup();
  await sleep(30);
  logs.push("stderr", "late\n");
  logs.end();
  await cleaned;
  assert.deepEqual(lines, ["stdout: before", "stderr: late"]);
  assert.ok(engine.calls.includes(`remove ${ID}`));
  assert.deepEqual(reports, []);
});
