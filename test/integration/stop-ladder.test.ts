// The stop ladder with real signals: each step is sent at its time since the stop began,
// reaches the process, and the stop ends the moment the process does.
import assert from "node:assert/strict";
import { test } from "node:test";
import { berthSays, fixture, instanceSays, withBerth } from "../support/berth-process.js";
import { assertGap, parseShownDuration } from "../support/proc.js";

test("a custom ladder sends each signal on time and ends with SIGKILL", { timeout: 30_000 }, () =>
  withBerth(
    `
services:
  stubborn:
    command: ${fixture("ignores-sigterm.mjs")}
    stop:
      - { signal: SIGTERM, after: 0s }
      - { signal: SIGINT, after: 500ms }
      - { signal: SIGKILL, after: 1s }
`,
    async (berth) => {
      // Its handlers are installed once it has said so: a signal before that would kill it.
      await berth.waitFor(instanceSays("stubborn#1", "up pid="));
      berth.signal("SIGTERM");

      const term = await berth.waitFor(berthSays("stubborn#1", "sending SIGTERM$"));
      await berth.waitFor(instanceSays("stubborn#1", "ignoring SIGTERM"), { after: term });
      const int = await berth.waitFor(berthSays("stubborn#1", "sending SIGINT \\(500ms into the stop\\)$"));
      await berth.waitFor(instanceSays("stubborn#1", "ignoring SIGINT"), { after: int });
      const kill = await berth.waitFor(berthSays("stubborn#1", "sending SIGKILL \\(1s into the stop\\)$"));
      const stopped = await berth.waitFor(berthSays("stubborn#1", "stopped by SIGKILL after (\\S+)$"));

      assertGap(term, int, 500 - 50, 500 + 100, "SIGINT after the stop began");
      assertGap(term, kill, 1000 - 50, 1000 + 100, "SIGKILL after the stop began");
      const took = parseShownDuration(/after (\S+)$/.exec(stopped.text)![1]!);
      assert.ok(took >= 1000 && took <= 1100, `stopped after ${took} ms, expected 1000–1100 ms`);
      // SIGTERM to berth is a clean stop.
      assert.deepEqual(await berth.waitForExit(), { code: 0, signal: null });
      assert.match(berth.output, /\[berth\] all services stopped/);
    },
  ),
);

test("the apache preset sends SIGINT at 0, 1s and 2s, then SIGKILL at 3s", { timeout: 30_000 }, () =>
  withBerth(
    `
services:
  httpd:
    command: ${fixture("ignores-sigterm.mjs")}
    stop: apache
`,
    async (berth) => {
      await berth.waitFor(instanceSays("httpd#1", "up pid="));
      berth.signal("SIGTERM");

      const first = await berth.waitFor(berthSays("httpd#1", "sending SIGINT$"));
      const second = await berth.waitFor(berthSays("httpd#1", "sending SIGINT \\(1s into the stop\\)$"));
      const third = await berth.waitFor(berthSays("httpd#1", "sending SIGINT \\(2s into the stop\\)$"));
      const kill = await berth.waitFor(berthSays("httpd#1", "sending SIGKILL \\(3s into the stop\\)$"), {
        timeoutMs: 5_000,
      });
      const stopped = await berth.waitFor(berthSays("httpd#1", "stopped by SIGKILL after (\\S+)$"));

      assertGap(first, second, 1000 - 50, 1000 + 100, "second SIGINT");
      assertGap(first, third, 2000 - 50, 2000 + 100, "third SIGINT");
      assertGap(first, kill, 3000 - 50, 3000 + 100, "SIGKILL");
      const took = parseShownDuration(/after (\S+)$/.exec(stopped.text)![1]!);
      assert.ok(took >= 3000 && took <= 3100, `stopped after ${took} ms, expected 3000–3100 ms`);
      assert.deepEqual(await berth.waitForExit(), { code: 0, signal: null });
      // Each SIGINT reached the process; nothing sent it a SIGTERM.
      assert.equal(berth.matching(instanceSays("httpd#1", "ignoring SIGINT")).length, 3, berth.output);
      assert.equal(
        berth.matching(/SIGTERM/).filter((l) => !l.text.startsWith("berth:")).length,
        0,
        berth.output,
      );
    },
  ),
);

test("stop returns as soon as the instance exits, not when its timeout is up", { timeout: 30_000 }, () =>
  withBerth(
    `
services:
  quick:
    command: ${fixture("stays-up.mjs")}
    stop: { signal: SIGTERM, timeout: 10s }
`,
    async (berth) => {
      await berth.waitFor(instanceSays("quick#1", "up pid="));
      const sentAt = performance.now();
      berth.signal("SIGTERM");
      const { code } = await berth.waitForExit();
      const took = berth.exitedAt! - sentAt;
      assert.equal(code, 0);
      assert.ok(took < 1000, `berth took ${took.toFixed(0)} ms to exit after SIGTERM\n${berth.output}`);
      assert.match(
        berth.output,
        /quick#1 \| \[berth\] stopped after \S+ \(exited with code 0 after SIGTERM\)/,
        "the instance ended by itself, on the first signal",
      );
      assert.doesNotMatch(berth.output, /SIGKILL/);
    },
  ),
);
