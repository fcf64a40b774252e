// depends_on with real processes: a dependent starts only once what it depends on is ready
// (not merely started), and is stopped, completely, before it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { berthSays, fixture, instanceSays, withBerth } from "../support/berth-process.js";
import { assertGap, parseShownDuration } from "../support/proc.js";

test("a dependent starts after its dependency is ready and stops before it", { timeout: 30_000 }, () =>
  withBerth(
    `
services:
  cache:
    command: ${fixture("slow-ready.mjs", 800)}
    port: auto
    ready: { tcp: true }
  web:
    # Takes 300 ms to stop: were both stopped at once, cache would be done first.
    command: ${fixture("stays-up.mjs", 300)}
    depends_on: [cache]
`,
    async (berth) => {
      await berth.waitFor(berthSays("web", "waiting for cache to be ready$"));
      const cacheStarted = await berth.waitFor(berthSays("cache#1", "started \\(pid \\d+, port \\d+\\)"));
      const cacheReady = await berth.waitFor(berthSays("cache#1", "ready in (\\S+)$"));
      const webStarted = await berth.waitFor(berthSays("web#1", "started \\(pid \\d+"));
      await berth.waitFor(instanceSays("web#1", "up pid="));

      // Readiness waited for the port to listen (800 ms after the program began), and web for
      // readiness. (The program's own "listening" line may come after berth's "ready": it
      // travels through a pipe, the probe through a socket.)
      const readyIn = parseShownDuration(/ready in (\S+)$/.exec(cacheReady.text)![1]!);
      assert.ok(readyIn >= 800, `cache ready in ${readyIn} ms, before it could listen`);
      assertGap(cacheStarted, cacheReady, 800 - 50, 800 + 1000, "cache ready after its start");
      assert.ok(berth.lines.indexOf(cacheReady) < berth.lines.indexOf(webStarted), berth.output);
      const early = berth.lines
        .slice(0, berth.lines.indexOf(cacheReady))
        .filter((l) => /^web#1\s/.test(l.text));
      assert.deepEqual(early, [], "nothing of web before cache was ready");

      berth.signal("SIGTERM");
      const webStopped = await berth.waitFor(berthSays("web#1", "stopped after"));
      const cacheSignalled = await berth.waitFor(berthSays("cache#1", "sending SIGTERM$"));
      const cacheStopped = await berth.waitFor(berthSays("cache#1", "stopped "));
      // cache is not even sent its signal before web has ended.
      assert.ok(berth.lines.indexOf(webStopped) < berth.lines.indexOf(cacheSignalled), berth.output);
      assert.ok(berth.lines.indexOf(cacheSignalled) < berth.lines.indexOf(cacheStopped), berth.output);
      assert.match(webStopped.text, /exited with code 0 after SIGTERM/);
      assert.deepEqual(await berth.waitForExit(), { code: 0, signal: null });
    },
  ),
);

test(
  "while berth stops, a dependency that crashes waiting for its dependents to stop is not restarted",
  { timeout: 30_000 },
  () =>
    withBerth(
      `
services:
  db:
    command: ${fixture("crash-after.mjs", 300, 1)}
    backoff: { initial: 50ms, max: 50ms }
  web:
    command: ${fixture("ignores-sigterm.mjs")}
    depends_on: [db]
    stop: [{ signal: SIGTERM }, { signal: SIGKILL, after: 1500ms }]
`,
      async (berth) => {
        await berth.waitFor(instanceSays("web#1", "up pid="));
        berth.signal("SIGINT");
        const stopping = await berth.waitFor(/^\[berth\] stopping all services$/);
        await berth.waitFor(berthSays("web#1", "stopped by SIGKILL"), { after: stopping });
        assert.deepEqual(await berth.waitForExit(), { code: 0, signal: null });
        const after = berth.lines.slice(berth.lines.indexOf(stopping));
        assert.equal(
          after.filter((l) => /^db#1\s+\| \[berth\] (started|restarting)/.test(l.text)).length,
          0,
          berth.output,
        );
      },
    ),
);
