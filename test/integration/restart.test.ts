// Restarts with backoff, with real processes: the delay berth waits is measured between the
// lines it prints (the exit, then the next `started`).
import assert from "node:assert/strict";
import { test } from "node:test";
import { berthSays, fixture, isAlive, withBerth } from "../support/berth-process.js";
import { assertGap, pidIn } from "../support/proc.js";

const STARTED = berthSays("web#1", "started \\(pid \\d+");

test(
  "a kill -9 is restarted after the backoff delay, and a second crash doubles it",
  { timeout: 30_000 },
  () =>
    withBerth(
      `
services:
  web:
    command: ${fixture("stays-up.mjs")}
    backoff: { initial: 300ms }
`,
      async (berth) => {
        const started1 = await berth.waitFor(STARTED);
        const pid1 = pidIn(started1);
        process.kill(pid1, "SIGKILL");
        const exit1 = await berth.waitFor(berthSays("web#1", "killed by SIGKILL \\(9\\) after"), {
          after: started1,
        });
        await berth.waitFor(
          berthSays("web#1", "restarting in 300ms \\(recent exits: killed by SIGKILL \\(9\\)\\)$"),
          { after: exit1 },
        );
        const started2 = await berth.waitFor(STARTED, { after: exit1 });
        const pid2 = pidIn(started2);
        assert.notEqual(pid2, pid1, "a new process");
        assert.ok(!isAlive(pid1));
        assertGap(exit1, started2, 300 - 50, 300 + 100, "first restart delay");

        process.kill(pid2, "SIGKILL");
        const exit2 = await berth.waitFor(berthSays("web#1", "killed by SIGKILL \\(9\\) after"), {
          after: started2,
        });
        await berth.waitFor(
          berthSays("web#1", "restarting in 600ms \\(recent exits: killed by SIGKILL \\(9\\) ×2\\)$"),
          { after: exit2 },
        );
        const started3 = await berth.waitFor(STARTED, { after: exit2 });
        assertGap(exit2, started3, 600 - 50, 600 + 100, "second restart delay (doubled)");
        assert.ok(isAlive(pidIn(started3)));
      },
    ),
);

test("a crash loop backs off up to max and keeps retrying there, never giving up", { timeout: 30_000 }, () =>
  withBerth(
    `
services:
  loop:
    command: ${fixture("crash-after.mjs", 50)}
    backoff: { initial: 100ms, max: 400ms }
`,
    async (berth) => {
      const backoff = berthSays("loop#1", "restarting in ");
      // Two more than it takes to reach max, then one more start: it did not give up there.
      const sixth = await berth.waitForNth(backoff, 6, { timeoutMs: 15_000 });
      const lastStart = await berth.waitFor(berthSays("loop#1", "started \\(pid \\d+"), { after: sixth });

      const exits = "exited with code 1";
      assert.deepEqual(
        berth.matching(backoff).map((l) => l.text.replace(/^.*\[berth\] /, "")),
        [
          `restarting in 100ms (recent exits: ${exits})`,
          `restarting in 200ms (recent exits: ${exits} ×2)`,
          `restarting in 400ms (recent exits: ${exits} ×3)`,
          `restarting in 400ms (recent exits: ${exits} ×4)`,
          `restarting in 400ms (recent exits: ${exits} ×5)`,
          `restarting in 400ms (recent exits: ${exits} ×5)`,
        ],
      );
      // Every exit is reported as such, with the run's length, before its backoff line.
      const exitLines = berth.matching(berthSays("loop#1", `${exits} after \\d`));
      assert.ok(exitLines.length >= 6, berth.output);
      const lastExit = exitLines[5]!;
      assert.ok(berth.lines.indexOf(lastExit) < berth.lines.indexOf(sixth));
      assertGap(lastExit, lastStart, 400 - 50, 400 + 100, "restart delay at max");
    },
  ),
);

test(
  "when every service has ended for good, berth says so and stays up until told to stop",
  { timeout: 30_000 },
  () =>
    withBerth(
      `
services:
  once:
    command: ${fixture("crash-after.mjs", 50, 3)}
    restart: never
  later:
    command: ${fixture("stays-up.mjs")}
    depends_on: [once]
    ready: none
    # once is ready at once (no probe), so later starts; stop it to leave nothing running
    restart: never
`,
      async (berth) => {
        const started = await berth.waitFor(berthSays("later#1", "started \\(pid \\d+"));
        process.kill(pidIn(started), "SIGTERM");
        await berth.waitFor(
          /^\[berth\] no service is running any more; berth stays up until Ctrl-C or SIGTERM$/,
        );
        assert.equal(berth.child.exitCode, null, "berth is still running");
        berth.signal("SIGINT");
        assert.deepEqual(await berth.waitForExit(), { code: 0, signal: null });
      },
    ),
);
