// Nothing berth started outlives it: not on a clean stop, not when berth is SIGKILLed (the
// kernel's pdeathsig and the watchdog), and when even the watchdog is gone, the next berth
// cleans up. Processes are checked by pid.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  BerthProcess,
  berthSays,
  eventually,
  fixture,
  instanceSays,
  isAlive,
  type Line,
  withBerth,
  writeConfig,
} from "../support/berth-process.js";
import { childrenOf, pidIn, processState, readRunFile } from "../support/proc.js";

const FORKER = `
services:
  forker:
    command: ${fixture("forks-grandchild.mjs")}
`;

/** The pids forks-grandchild.mjs printed, remembered by `berth` so a failed test cleans them up. */
async function forkedPids(
  berth: BerthProcess,
): Promise<{ started: Line; child: number; grandchild: number }> {
  const started = await berth.waitFor(berthSays("forker#1", "started \\(pid \\d+"));
  const line = await berth.waitFor(instanceSays("forker#1", "child=\\d+ grandchild=\\d+"));
  const [, child, grandchild] = /child=(\d+) grandchild=(\d+)/.exec(line.text)!.map(Number);
  berth.track(child!);
  berth.track(grandchild!);
  assert.ok(isAlive(child!) && isAlive(grandchild!));
  return { started, child: child!, grandchild: grandchild! };
}

test(
  "on SIGINT berth exits 0 and every process it started, grandchildren too, is gone",
  { timeout: 30_000 },
  () =>
    withBerth(FORKER, async (berth, dir) => {
      const { started, child, grandchild } = await forkedPids(berth);
      assert.equal(pidIn(started), child, "the pid berth printed is the program's (setpriv execs it)");
      const { watchdogPid, cgroupDir } = readRunFile(join(dir, ".berth"));
      assert.ok(watchdogPid && isAlive(watchdogPid), "a watchdog runs");

      berth.signal("SIGINT");
      assert.deepEqual(await berth.waitForExit(), { code: 0, signal: null });
      // Gone by the time berth has exited, not some time later.
      assert.ok(!isAlive(child), `child ${child} outlived berth`);
      assert.ok(!isAlive(grandchild), `grandchild ${grandchild} (its own session) outlived berth`);
      if (cgroupDir) {
        // In the instance's cgroup, the grandchild got the ladder's SIGTERM like its parent.
        assert.doesNotMatch(berth.output, /leftover/);
      } else {
        // The child ended on SIGTERM; the grandchild, in its own session, was left: one process.
        assert.match(berth.output, /^forker#1 \| \[berth\] killed 1 leftover process it had started$/m);
      }
      // The watchdog ends itself once berth's pipe closes; the record of the run is removed.
      await eventually(() => !isAlive(watchdogPid), `watchdog ${watchdogPid} ends after berth`, 3000);
      assert.ok(!existsSync(join(dir, ".berth", "run.json")), "run.json removed after a clean stop");
    }),
);

test(
  "when berth is SIGKILLed, its child and a grandchild in its own session die within seconds",
  { timeout: 30_000 },
  () =>
    withBerth(FORKER, async (berth, dir) => {
      const { child, grandchild } = await forkedPids(berth);
      const { watchdogPid } = readRunFile(join(dir, ".berth"));
      berth.signal("SIGKILL");
      await berth.waitForExit();
      await eventually(() => !isAlive(child), `child ${child} dies with berth (pdeathsig)`, 3000);
      await eventually(() => !isAlive(grandchild), `grandchild ${grandchild} killed by the watchdog`, 5000);
      await eventually(() => !isAlive(watchdogPid!), `watchdog ${watchdogPid} ends`, 3000);
    }),
);

test("with the watchdog dead too, the grandchild survives berth's SIGKILL and the next berth stops it", {
  timeout: 30_000,
}, async () => {
  const { dir, file } = writeConfig(FORKER);
  const first = BerthProcess.up(file);
  let second: BerthProcess | undefined;
  try {
    const { child, grandchild } = await forkedPids(first);
    const { watchdogPid } = readRunFile(join(dir, ".berth"));
    assert.ok(watchdogPid && isAlive(watchdogPid));
    process.kill(watchdogPid, "SIGKILL");
    await eventually(() => !isAlive(watchdogPid), "the watchdog is dead");
    first.signal("SIGKILL");
    await first.waitForExit();
    // The child has pdeathsig; the grandchild left the session and nothing is left to kill it.
    await eventually(() => !isAlive(child), `child ${child} dies with berth (pdeathsig)`, 3000);
    assert.ok(isAlive(grandchild), "the grandchild survives berth and its watchdog");

    second = BerthProcess.up(file);
    const notice = await second.waitFor(
      /^\[berth\] stopped \d+ process(es)? left running by a previous berth/,
    );
    assert.match(notice.text, new RegExp(`\\(pid ${first.pid}, started `), "names the previous berth");
    await eventually(() => !isAlive(grandchild), `grandchild ${grandchild} stopped by the next berth`, 2000);
    // ...before it started anything of its own.
    const started = await second.waitFor(berthSays("forker#1", "started \\(pid \\d+"));
    assert.ok(second.lines.indexOf(notice) < second.lines.indexOf(started));
  } finally {
    await first.stop();
    await second?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  "with cgroups, even a grandchild that cleared its environment and left the session is stopped",
  { timeout: 30_000 },
  (t) =>
    withBerth(
      `
services:
  forker:
    command: ${fixture("forks-grandchild.mjs", "--clear-env")}
`,
      async (berth, dir) => {
        const { grandchild } = await forkedPids(berth);
        if (!readRunFile(join(dir, ".berth")).cgroupDir) {
          t.skip("no writable cgroup v2 here: such a process escapes berth (see README)");
          return;
        }
        berth.signal("SIGINT");
        assert.deepEqual(await berth.waitForExit(), { code: 0, signal: null });
        assert.ok(!isAlive(grandchild), `grandchild ${grandchild} without a marker outlived berth`);
      },
    ),
);

test("a second SIGINT kills at once what ignores the first", { timeout: 30_000 }, () =>
  withBerth(
    `
services:
  stubborn:
    command: ${fixture("ignores-sigterm.mjs")}
    stop: { timeout: 30s }
`,
    async (berth) => {
      await berth.waitFor(instanceSays("stubborn#1", "up pid="));
      berth.signal("SIGINT");
      await berth.waitFor(instanceSays("stubborn#1", "ignoring SIGTERM"));
      const sentAt = performance.now();
      berth.signal("SIGINT");
      assert.deepEqual(await berth.waitForExit(), { code: 0, signal: null });
      const took = berth.exitedAt! - sentAt;
      assert.ok(took < 1000, `berth took ${took.toFixed(0)} ms to exit after the second SIGINT`);
      assert.match(berth.output, /^\[berth\] killing what is still running \(SIGKILL\)$/m);
      assert.match(berth.output, /^stubborn#1 \| \[berth\] stopped by SIGKILL after \S+$/m);
    },
  ),
);

test(
  "a second SIGINT also kills at once what was still waiting for its dependents to stop",
  { timeout: 30_000 },
  () =>
    withBerth(
      `
services:
  db:
    command: ${fixture("ignores-sigterm.mjs")}
    stop: { timeout: 30s }
  app:
    command: ${fixture("ignores-sigterm.mjs")}
    stop: { timeout: 30s }
    depends_on: [db]
`,
      async (berth) => {
        // Both have their handlers installed: a SIGTERM before that would end them.
        await berth.waitFor(instanceSays("db#1", "up pid="));
        await berth.waitFor(instanceSays("app#1", "up pid="));
        berth.signal("SIGINT");
        // app is stopping; db waits for it, with no signal sent yet.
        await berth.waitFor(instanceSays("app#1", "ignoring SIGTERM"));
        const sentAt = performance.now();
        berth.signal("SIGINT");
        assert.deepEqual(await berth.waitForExit(), { code: 0, signal: null });
        const took = berth.exitedAt! - sentAt;
        assert.ok(
          took < 1000,
          `berth took ${took.toFixed(0)} ms to exit after the second SIGINT\n${berth.output}`,
        );
        assert.match(berth.output, /^app#1 +\| \[berth\] stopped by SIGKILL after \S+$/m);
        assert.match(berth.output, /^db#1 +\| \[berth\] stopped by SIGKILL after \S+$/m);
      },
    ),
);

test("a third SIGINT ends berth at once (status 130), even while its own stop hangs; the watchdog does the rest", {
  timeout: 30_000,
}, async () => {
  const { dir, file } = writeConfig(`
services:
  stubborn:
    command: ${fixture("ignores-sigterm.mjs")}
    stop: [{ signal: SIGTERM }, { signal: SIGKILL, after: 30s }]
`);
  // Its log file is a FIFO nobody reads, like a file on a hung network mount: opening it
  // never returns, so berth's stop, which waits for the log files, never ends by itself.
  mkdirSync(join(dir, ".berth", "logs"), { recursive: true });
  execFileSync("mkfifo", [join(dir, ".berth", "logs", "stubborn.log")]);
  const berth = BerthProcess.up(file);
  try {
    const pid = pidIn(await berth.waitFor(instanceSays("stubborn#1", "up pid=")));
    const { watchdogPid } = readRunFile(join(dir, ".berth"));
    assert.ok(watchdogPid && isAlive(watchdogPid), "a watchdog runs");

    berth.signal("SIGINT");
    await berth.waitFor(instanceSays("stubborn#1", "ignoring SIGTERM"));
    berth.signal("SIGINT");
    await berth.waitFor(/^berth: SIGINT again: killing them at once/);
    await berth.waitFor(berthSays("stubborn#1", "stopped by SIGKILL"));
    assert.equal(berth.exitedAt, undefined, "berth is still stopping (its log file hangs)");

    const sentAt = performance.now();
    berth.signal("SIGINT");
    // Killed by SIGINT itself, which a shell reports as 130: exit(130) would hang on the
    // worker thread that is stuck opening the FIFO.
    assert.deepEqual(await berth.waitForExit(), { code: null, signal: "SIGINT" });
    const took = berth.exitedAt! - sentAt;
    assert.ok(took < 1000, `berth took ${took.toFixed(0)} ms to exit after the third SIGINT`);
    assert.match(
      berth.output,
      /^berth: SIGINT a third time: exiting now; berth's watchdog kills the processes left; containers left are removed by the next berth up$/m,
    );
    await eventually(() => !isAlive(pid), `instance ${pid} is gone`, 3000);
    await eventually(() => !isAlive(watchdogPid), `watchdog ${watchdogPid} ends after berth`, 3000);
  } finally {
    await berth.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("after a crash and a restart berth has no zombie children", { timeout: 30_000 }, () =>
  withBerth(
    `
services:
  crashy:
    command: ${fixture("stays-up.mjs")}
    backoff: { initial: 100ms }
`,
    async (berth) => {
      const started = berth.waitFor(berthSays("crashy#1", "started \\(pid \\d+"));
      const first = pidIn(await started);
      process.kill(first, "SIGKILL");
      const exit = await berth.waitFor(berthSays("crashy#1", "killed by SIGKILL"));
      const second = pidIn(
        await berth.waitFor(berthSays("crashy#1", "started \\(pid \\d+"), { after: exit }),
      );

      const children = childrenOf(berth.pid);
      assert.ok(
        children.includes(second),
        `the new instance ${second} is among berth's children ${children}`,
      );
      const zombies = children.filter((pid) => processState(pid) === "Z");
      assert.deepEqual(zombies, [], "berth's children in state Z");
      assert.equal(processState(first), undefined, `the crashed ${first} was reaped (no /proc entry left)`);
    },
  ),
);
