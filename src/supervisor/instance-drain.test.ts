import assert from "node:assert/strict";
import { test } from "node:test";
import { service, settle, setup } from "../../test/support/fake-instance.js";
import type { InstanceRef } from "./events.js";

// The drain before a stop ladder, on a FakeClock: the instance leaves rotation, its requests
// in flight get up to drainTimeoutMs, and only then is the first signal sent.

/** A drain hook the test settles by hand, call by call; `calls` are the instances it was asked about. */
function drainHook() {
  const calls: InstanceRef[] = [];
  const settles: { finish: () => void; fail: (error: Error) => void }[] = [];
  const drain = (ref: InstanceRef) => {
    calls.push(ref);
    return new Promise<void>((finish, fail) => settles.push({ finish, fail }));
  };
  return {
    drain,
    calls,
    finish: (call = 0) => settles[call]!.finish(),
    fail: (error: Error) => settles[0]!.fail(error),
  };
}

/** A started instance whose run the test holds; the service drains for up to 10s. */
async function running(drain?: (ref: InstanceRef) => Promise<void>, drainTimeoutMs = 10_000) {
  const parts = setup(service({ drainTimeoutMs }), drain);
  parts.instance.start();
  await settle();
  return { ...parts, run: parts.runtime.runs[0]! };
}

const types = (events: { type: string }[]) => events.map((e) => e.type);

test("the ladder starts when the drain resolves, its times counted from then", async () => {
  const hook = drainHook();
  const { clock, run, instance, events } = await running(hook.drain);
  events.length = 0;
  const stopped = instance.stop();
  assert.deepEqual(hook.calls, [{ service: "web", instance: "web#1" }]);
  assert.deepEqual(types(events), ["InstanceDraining"]);
  assert.equal(events[0]?.type === "InstanceDraining" && events[0].timeoutMs, 10_000);
  clock.advance(4_000);
  await settle();
  assert.deepEqual(run.signals, [], "no signal while requests are in flight");
  hook.finish();
  await settle();
  assert.deepEqual(run.signals, ["SIGTERM"]);
  clock.advance(9_999);
  assert.deepEqual(run.signals, ["SIGTERM"], "the SIGKILL step is 10s after the ladder began");
  clock.advance(1);
  assert.deepEqual(run.signals, ["SIGTERM", "SIGKILL"]);
  run.end({ code: null, signal: "SIGKILL" });
  await stopped;
  assert.deepEqual(types(events), [
    "InstanceDraining",
    "InstanceStopSignal",
    "InstanceStopSignal",
    "InstanceStopped",
  ]);
  assert.equal(clock.pending(), 0, "no drain or ladder timer is left behind");
});

test("a drain that never ends is cut off at drainTimeoutMs, and said so", async () => {
  const hook = drainHook();
  const { clock, run, instance, events } = await running(hook.drain, 2_000);
  events.length = 0;
  const stopped = instance.stop();
  clock.advance(1_999);
  await settle();
  assert.deepEqual(run.signals, []);
  clock.advance(1);
  assert.deepEqual(run.signals, ["SIGTERM"]);
  assert.deepEqual(types(events), ["InstanceDraining", "InstanceDrainTimedOut", "InstanceStopSignal"]);
  assert.equal(events[1]?.type === "InstanceDrainTimedOut" && events[1].timeoutMs, 2_000);
  run.end({ code: 0, signal: null });
  await stopped;
  const stop = events.find((e) => e.type === "InstanceStopped");
  assert.equal(stop?.type === "InstanceStopped" && stop.afterMs, 2_000, "a stop's time includes its drain");
});

test("kill() during the drain stops waiting and kills at once", async () => {
  const hook = drainHook();
  const { clock, run, instance, events } = await running(hook.drain);
  const stopped = instance.stop();
  clock.advance(1_000);
  instance.kill();
  assert.deepEqual(run.signals, ["SIGTERM", "SIGKILL"], "no waiting for the drain or the 10s step");
  assert.equal(clock.pending(), 0, "the drain's timer is gone");
  assert.ok(!events.some((e) => e.type === "InstanceDrainTimedOut"));
  run.end({ code: null, signal: "SIGKILL" });
  await stopped;
  hook.finish();
  await settle();
  assert.deepEqual(run.signals, ["SIGTERM", "SIGKILL"], "the drain ending later changes nothing");
});

test("a process that ends by itself during the drain is sent no signal", async () => {
  const hook = drainHook();
  const { clock, run, instance, events } = await running(hook.drain);
  const stopped = instance.stop();
  run.autoCleanup = false;
  run.end({ code: 0, signal: null });
  await settle();
  // The drain ends while what the process left is still being cleaned up: still stopping.
  hook.finish();
  await settle();
  assert.equal(instance.state, "stopping");
  run.finishCleanup();
  await stopped;
  clock.advance(60_000);
  await settle();
  assert.deepEqual(run.signals, []);
  const stop = events.find((e) => e.type === "InstanceStopped");
  assert.equal(stop?.type === "InstanceStopped" && stop.signal, undefined);
});

test("a stop that ends during the drain cancels its timer", async () => {
  const hook = drainHook();
  const { clock, run, instance, events } = await running(hook.drain);
  const stopped = instance.stop();
  run.end({ code: 0, signal: null });
  await stopped;
  assert.equal(clock.pending(), 0);
  clock.advance(10_000);
  assert.ok(!events.some((e) => e.type === "InstanceDrainTimedOut"));
});

test("if the main process ends during the drain but its group runs on, the ladder still starts", async () => {
  const hook = drainHook();
  const { clock, run, instance } = await running(hook.drain);
  const stopped = instance.stop();
  run.groupAlive = true; // a shell's child, still serving
  run.end({ code: 0, signal: null });
  await settle();
  hook.finish();
  await settle();
  assert.deepEqual(run.signals, ["SIGTERM"], "the group is signalled once the drain is over");
  run.groupAlive = false;
  clock.advance(20);
  await stopped;
});

test("a drain from an earlier run does not start the ladder of the next one's stop", async () => {
  const hook = drainHook();
  const { runtime, run, instance } = await running(hook.drain);
  await Promise.all([instance.stop(), run.end({ code: 0, signal: null })]);
  instance.start();
  await settle();
  const next = runtime.runs[1]!;
  void instance.stop();
  hook.finish(0);
  await settle();
  assert.deepEqual(next.signals, [], "its own drain is still going");
  hook.finish(1);
  await settle();
  assert.deepEqual(next.signals, ["SIGTERM"]);
});

test("a drain hook that fails does not hold the stop up", async () => {
  const hook = drainHook();
  const { run, instance } = await running(hook.drain);
  void instance.stop();
  hook.fail(new Error("proxy gone"));
  await settle();
  assert.deepEqual(run.signals, ["SIGTERM"]);
});

test("drainTimeoutMs 0 leaves rotation but signals at once, without asking the hook", async () => {
  const hook = drainHook();
  const { run, instance, events, clock } = await running(hook.drain, 0);
  events.length = 0;
  void instance.stop();
  assert.deepEqual(run.signals, ["SIGTERM"]);
  assert.deepEqual(types(events), ["InstanceDraining", "InstanceStopSignal"]);
  assert.deepEqual(hook.calls, []);
  assert.equal(clock.pending(), 1, "only the ladder's SIGKILL step");
});

test("without a drain hook a stop signals at once, as it always did", async () => {
  const { run, instance, events } = await running(undefined);
  events.length = 0;
  void instance.stop();
  assert.deepEqual(run.signals, ["SIGTERM"]);
  assert.deepEqual(types(events), ["InstanceStopSignal"]);
});
