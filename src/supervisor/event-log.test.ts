import assert from "node:assert/strict";
import { test } from "node:test";
import { describeEvent, eventSubject, isQuiet } from "./event-log.js";

const ref = { service: "web", instance: "web#1" };
const exit = { code: 3, signal: null, at: 0, ranMs: 1234 };

test("an exit says whether it is restarted, and why not", () => {
  assert.equal(
    describeEvent({ ...ref, type: "InstanceExited", status: exit, willRestart: true, restartMode: "always" }),
    "exited with code 3 after 1.23s",
  );
  assert.equal(
    describeEvent({ ...ref, type: "InstanceExited", status: exit, willRestart: false, restartMode: "never" }),
    "exited with code 3 after 1.23s; not restarted (restart: never)",
  );
});

test("a failure to start is spelled out once, then only said again", () => {
  const reason = 'starting web#1: executable "x" not found in PATH (/usr/bin:/bin)';
  assert.equal(describeEvent({ ...ref, type: "InstanceStartFailed", reason, repeated: false }), reason);
  assert.equal(
    describeEvent({ ...ref, type: "InstanceStartFailed", reason, repeated: true }),
    "failed to start again, for the same reason",
  );
});

test("durations read as a person writes them", () => {
  assert.equal(describeEvent({ ...ref, type: "InstanceReady", afterMs: 0.2 }), "ready in 0ms");
  assert.equal(describeEvent({ ...ref, type: "InstanceReady", afterMs: 165.4 }), "ready in 165ms");
});

test("berth's own events belong to no instance", () => {
  const idle = { type: "SupervisorIdle" as const, neverStarted: ["web"] };
  assert.equal(eventSubject(idle), undefined);
  assert.match(describeEvent(idle), /^no service is running any more; web will not start/);
});

test("a drain is quiet when it begins, and said when it runs out of time", () => {
  const draining = { ...ref, type: "InstanceDraining" as const, timeoutMs: 10_000 };
  assert.equal(isQuiet(draining), true);
  const timedOut = { ...ref, type: "InstanceDrainTimedOut" as const, timeoutMs: 10_000 };
  assert.equal(isQuiet(timedOut), false);
  assert.equal(describeEvent(timedOut), "requests still in flight after 10s; stopping anyway");
  assert.equal(isQuiet({ ...ref, type: "InstanceReady", afterMs: 1 }), false);
});

test("a stop says how long it took, and how much of that was draining", () => {
  const base = { type: "InstanceStopped", service: "web", instance: "web#1", signal: "SIGTERM" } as const;
  const exited = { code: 0, signal: null, at: 0, ranMs: 5000 };
  assert.equal(
    describeEvent({ ...base, afterMs: 2590, drainedMs: 2500, status: exited }),
    "stopped after 2.59s (2.5s of it draining; exited with code 0 after SIGTERM)",
  );
  assert.equal(
    describeEvent({ ...base, afterMs: 34, status: exited }),
    "stopped after 34ms (exited with code 0 after SIGTERM)",
  );
  const killed = { code: null, signal: "SIGKILL" as const, at: 0, ranMs: 5000 };
  assert.equal(
    describeEvent({ ...base, afterMs: 10_000, drainedMs: 5000, status: killed }),
    "stopped by SIGKILL after 10s (5s of it draining)",
  );
});
