import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { AlreadyRunningError, RunRecord, StateDirError } from "./run-record.js";
import { ProcessSweeper } from "./runtime/process-sweeper.js";

async function withDir(fn: (dir: string, sweeper: ProcessSweeper) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "berth-runrecord-"));
  try {
    // A sweeper over an empty /proc: these tests kill nothing.
    const proc = await mkdtemp(join(dir, "proc-"));
    await fn(join(dir, "state"), new ProcessSweeper(proc));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const runFile = (stateDir: string) => join(stateDir, "run.json");
const readRun = async (stateDir: string) => JSON.parse(await readFile(runFile(stateDir), "utf8"));

/** Field 22 of /proc/self/stat: this process's start time, as run.json records it. */
async function ownStart(): Promise<string> {
  const stat = await readFile("/proc/self/stat", "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
}

test("of several berths claiming one state dir at the same moment, exactly one wins", async () => {
  await withDir(async (stateDir, sweeper) => {
    const records = Array.from({ length: 8 }, () => new RunRecord(stateDir, "berth.yaml"));
    const results = await Promise.allSettled(records.map((r) => r.claim(sweeper, {})));
    const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [records[i]!] : []));
    assert.equal(won.length, 1, `${won.length} claims won`);
    for (const r of results) {
      if (r.status === "rejected") assert.ok(r.reason instanceof AlreadyRunningError, String(r.reason));
    }
    assert.equal((await readRun(stateDir)).runId, won[0]!.runId);
    // Nothing is left aside in the state dir.
    assert.deepEqual(await readdir(stateDir), ["run.json"]);
  });
});

test("…also when both find a dead berth's record to replace first", async () => {
  await withDir(async (stateDir, sweeper) => {
    await new RunRecord(stateDir, "berth.yaml").claim(sweeper, {});
    const dead = { ...(await readRun(stateDir)), pidStart: `${await ownStart()}0` };
    await writeFile(runFile(stateDir), JSON.stringify(dead));
    // The shared sweeper answers both in one scan: they go on to replace the record together.
    // (Two, not more: see #removeStale for what three berths starting at once can still do.)
    const records = [new RunRecord(stateDir, "berth.yaml"), new RunRecord(stateDir, "berth.yaml")];
    const results = await Promise.allSettled(records.map((r) => r.claim(sweeper, {})));
    const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [records[i]!] : []));
    assert.equal(won.length, 1, `${won.length} claims won`);
    for (const r of results) {
      if (r.status === "rejected") assert.ok(r.reason instanceof AlreadyRunningError, String(r.reason));
    }
    assert.equal((await readRun(stateDir)).runId, won[0]!.runId);
    assert.deepEqual(await readdir(stateDir), ["run.json"]);
  });
});

test("a live berth's record refuses the claim, naming its pid", async () => {
  await withDir(async (stateDir, sweeper) => {
    const first = new RunRecord(stateDir, "berth.yaml");
    await first.claim(sweeper, {});
    await assert.rejects(
      new RunRecord(stateDir, "berth.yaml").claim(sweeper, {}),
      (error: Error) =>
        error instanceof AlreadyRunningError &&
        error.message ===
          `another berth (pid ${process.pid}) is running with the state dir ${stateDir}; stop it first, or give this one another state_dir`,
    );
    await first.release();
    await new RunRecord(stateDir, "berth.yaml").claim(sweeper, {});
  });
});

test("a dead berth's record is replaced, and returned as the previous run", async () => {
  await withDir(async (stateDir, sweeper) => {
    const first = new RunRecord(stateDir, "berth.yaml");
    await first.claim(sweeper, {});
    // Same pid, another start time: a berth that died and whose pid was reused.
    const dead = { ...(await readRun(stateDir)), pidStart: `${await ownStart()}0` };
    await writeFile(runFile(stateDir), JSON.stringify(dead));
    const next = new RunRecord(stateDir, "berth.yaml");
    const { leftovers, previous } = await next.claim(sweeper, { watchdogPid: 42 });
    assert.equal(leftovers, 0);
    assert.equal(previous?.runId, first.runId);
    const now = await readRun(stateDir);
    assert.equal(now.runId, next.runId);
    assert.equal(now.watchdogPid, 42);
    assert.deepEqual(await readdir(stateDir), ["run.json"]);
  });
});

test("an unreadable record is one being written if it is fresh, and stale if it is old", async () => {
  await withDir(async (stateDir, sweeper) => {
    await new RunRecord(stateDir, "berth.yaml").claim(sweeper, {});
    await writeFile(runFile(stateDir), "");
    await assert.rejects(
      new RunRecord(stateDir, "berth.yaml").claim(sweeper, {}),
      (error: Error) =>
        error instanceof AlreadyRunningError && /is starting .* right now/.test(error.message),
    );
    const old = new Date(Date.now() - 60_000);
    await utimes(runFile(stateDir), old, old);
    const next = new RunRecord(stateDir, "berth.yaml");
    await next.claim(sweeper, {});
    assert.equal((await readRun(stateDir)).runId, next.runId);
  });
});

test("a state dir that cannot be created says so and what to do", async () => {
  await withDir(async (stateDir, sweeper) => {
    await writeFile(stateDir, ""); // a file where the directory should be
    const bad = join(stateDir, "sub");
    await assert.rejects(new RunRecord(bad, "site/berth.yaml").claim(sweeper, {}), (error: Error) => {
      assert.ok(error instanceof StateDirError);
      assert.match(
        error.message,
        new RegExp(
          `^cannot use the state dir ${bad}: .*(ENOTDIR|EEXIST).*; set state_dir in site/berth\\.yaml to a writable directory$`,
        ),
      );
      return true;
    });
  });
});

test("release removes only this run's record", async () => {
  await withDir(async (stateDir, sweeper) => {
    const mine = new RunRecord(stateDir, "berth.yaml");
    await mine.claim(sweeper, {});
    await new RunRecord(stateDir, "berth.yaml").release();
    assert.equal((await readRun(stateDir)).runId, mine.runId);
    await mine.release();
    assert.deepEqual(await readdir(stateDir), []);
  });
});
