import assert from "node:assert/strict";
import { test } from "node:test";
import { service, settle, setup } from "../../test/support/fake-instance.js";

// The Instance against a fake Runtime and a FakeClock: the effects of the lifecycle table,
// with time under the test's control. Real processes are in test/integration/.

test("a crash is restarted after the backoff delay, not before", async () => {
  const { clock, runtime, instance, events } = setup(service());
  instance.start();
  await settle();
  runtime.runs[0]!.end({ code: 1, signal: null });
  await settle();
  assert.equal(instance.state, "backoff");
  assert.deepEqual(
    events.flatMap((e) => (e.type === "InstanceBackoff" ? [e.delayMs] : [])),
    [100],
  );
  clock.advance(99);
  await settle();
  assert.equal(runtime.runs.length, 1);
  clock.advance(1);
  await settle();
  assert.equal(runtime.runs.length, 2);
});

test("a kill asked for while the spawn is in flight sends SIGKILL as soon as it lands", async () => {
  const { runtime, instance } = setup(service());
  const release = runtime.holdStarts();
  instance.start();
  await settle(); // the spawn is now waiting in runtime.start
  const stopped = instance.stop();
  instance.kill();
  release();
  await settle();
  const run = runtime.runs[0]!;
  assert.deepEqual(run.signals, ["SIGTERM", "SIGKILL"], "no waiting for the 10s step");
  run.end({ code: null, signal: "SIGKILL" });
  await stopped;
  assert.equal(instance.state, "exited");
});

test("a slow start is reported at 10s and 20s with the probe's last failure", async () => {
  const { clock, runtime, instance, events } = setup(
    service({ port: { kind: "auto" }, ready: { kind: "tcp", intervalMs: 60_000, timeoutMs: 500 } }),
  );
  instance.start();
  // The first connect is real I/O: nothing listens on the port, so it is refused; the next
  // attempt is due only after the 30s this test covers.
  for (let i = 0; i < 1000 && !instance.readinessFailure; i++) await new Promise((r) => setTimeout(r, 2));
  clock.advance(10_000);
  clock.advance(20_000);
  const notices = events.flatMap((e) => (e.type === "InstanceNotReady" ? [e] : []));
  assert.deepEqual(
    notices.map((e) => e.afterMs),
    [10_000, 20_000],
  );
  assert.match(notices[0]!.reason, /ECONNREFUSED/);
  const stopped = instance.stop();
  runtime.runs[0]!.end({ code: 0, signal: null });
  await stopped;
  assert.equal(clock.pending(), 0, "no notice, probe or ladder timer is left behind");
});

test("a stop while the spawn is being prepared starts nothing", async () => {
  const { runtime, instance } = setup(service());
  instance.start();
  await instance.stop();
  await settle();
  assert.equal(runtime.runs.length, 0);
  assert.equal(instance.state, "exited");
});

test("a crash is ending (not ready, not yet restarting) until what it left is cleaned up", async () => {
  const { clock, runtime, instance, events } = setup(service());
  instance.start();
  await settle();
  const run = runtime.runs[0]!;
  run.autoCleanup = false;
  const statesAtExit: string[] = [];
  events.length = 0;
  run.end({ code: 1, signal: null });
  await settle();
  assert.equal(instance.state, "ending");
  assert.deepEqual(
    events.map((e) => e.type),
    ["InstanceExited"],
    "the exit is told at once; no restart is scheduled yet",
  );
  statesAtExit.push(instance.state);
  clock.advance(1000);
  await settle();
  assert.equal(runtime.runs.length, 1, "no restart while the cleanup runs");
  run.finishCleanup();
  await settle();
  assert.equal(instance.state, "backoff");
  clock.advance(100);
  await settle();
  assert.equal(runtime.runs.length, 2);
});

test("a stop waits for the rest of the process group, walking the ladder, not killing it at once", async () => {
  const { clock, runtime, instance, events } = setup(service());
  instance.start();
  await settle();
  const run = runtime.runs[0]!;
  const stopped = instance.stop();
  assert.deepEqual(run.signals, ["SIGTERM"]);
  // The main process (a shell, say) ends on SIGTERM; its child is still finishing.
  run.groupAlive = true;
  run.end({ code: 143, signal: null });
  await settle();
  clock.advance(5000);
  await settle();
  assert.equal(instance.state, "stopping", "still waiting for the group");
  assert.equal(run.cleanupCalls, 0, "leftovers are not killed while the ladder runs");
  run.groupAlive = false; // the child finished draining
  clock.advance(20);
  await stopped;
  assert.deepEqual(run.signals, ["SIGTERM"], "no SIGKILL was needed");
  const stop = events.find((e) => e.type === "InstanceStopped");
  assert.equal(stop?.type === "InstanceStopped" && stop.afterMs, 5020);
});

test("a group that does not finish is ended by the ladder's SIGKILL step", async () => {
  const { clock, runtime, instance } = setup(service());
  instance.start();
  await settle();
  const run = runtime.runs[0]!;
  const stopped = instance.stop();
  run.groupAlive = true;
  run.end({ code: 143, signal: null });
  await settle();
  clock.advance(10_000);
  await settle();
  clock.advance(20);
  await stopped;
  assert.deepEqual(run.signals, ["SIGTERM", "SIGKILL"]);
});

test("once berth is shutting down (stayDown), a crash is not restarted and a pending restart is dropped", async () => {
  const { clock, runtime, instance } = setup(service());
  instance.start();
  await settle();
  instance.stayDown();
  runtime.runs[0]!.end({ code: 1, signal: null });
  await settle();
  assert.equal(instance.state, "exited");
  clock.advance(60_000);
  assert.equal(runtime.runs.length, 1);
});

test("an unset variable in the exec probe is a start failure: nothing is started", async () => {
  const { runtime, instance, events } = setup(
    service({
      restart: "never",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: berth's own ${VAR} syntax
      ready: { kind: "exec", argv: ["check", "${NOPE}"], intervalMs: 100, timeoutMs: 100 },
    }),
  );
  instance.start();
  await settle();
  assert.equal(runtime.runs.length, 0);
  assert.equal(instance.state, "exited");
  const failure = events.find((e) => e.type === "InstanceStartFailed");
  assert.match(failure?.type === "InstanceStartFailed" ? failure.reason : "", /\$\{NOPE\} is not set/);
  assert.equal(events.filter((e) => e.type === "InstanceStarted").length, 0);
});
