import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeRuntime, service, settle } from "../../test/support/fake-instance.js";
import { DEFAULT_PROXY } from "../config/proxy-settings.js";
import { FakeClock } from "../lib/clock.js";
import type { InstanceRef } from "./events.js";
import { PortAllocator } from "./port-allocator.js";
import { Supervisor } from "./supervisor.js";

// The Supervisor's part in a drain: it hands the hook to every instance, and a kill reaches
// instances still draining. Ordering of dependents is covered in test/integration/.

function supervise(drain: (ref: InstanceRef) => Promise<void>) {
  const runtime = new FakeRuntime();
  const supervisor = new Supervisor(
    {
      file: "/berth.yaml",
      stateDir: "/.berth",
      services: [service({ name: "web", replicas: 2 }), service({ name: "api" })],
      sites: [],
      proxy: DEFAULT_PROXY,
    },
    {
      runtime,
      clock: new FakeClock(),
      ports: new PortAllocator(),
      output: () => {},
      baseEnv: {},
      runId: "t",
      drain,
    },
  );
  return { runtime, supervisor };
}

test("every instance waits for the drain hook before its first signal", async () => {
  const asked: string[] = [];
  let finish!: () => void;
  const drained = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const { runtime, supervisor } = supervise((ref) => {
    asked.push(ref.instance);
    return drained;
  });
  supervisor.start();
  await settle();
  const stopped = supervisor.stop();
  await settle();
  assert.deepEqual(asked.sort(), ["api#1", "web#1", "web#2"]);
  assert.deepEqual(
    runtime.runs.map((r) => r.signals.length),
    [0, 0, 0],
  );
  finish();
  await settle();
  for (const run of runtime.runs) {
    assert.deepEqual(run.signals, ["SIGTERM"]);
    run.end({ code: 0, signal: null });
  }
  await stopped;
});

test("kill() reaches instances that are still draining", async () => {
  const { runtime, supervisor } = supervise(() => new Promise(() => {}));
  supervisor.start();
  await settle();
  const stopped = supervisor.stop();
  await settle();
  supervisor.kill();
  for (const run of runtime.runs) {
    assert.deepEqual(run.signals, ["SIGTERM", "SIGKILL"]);
    run.end({ code: null, signal: "SIGKILL" });
  }
  await stopped;
});

test("restart replaces a service's instances one at a time, each drained first", async () => {
  const asked: string[] = [];
  const { runtime, supervisor } = supervise(async (ref) => {
    asked.push(ref.instance);
  });
  const events: string[] = [];
  supervisor.on((e) => {
    if (e.type === "InstanceStarted" || e.type === "InstanceStopped") events.push(`${e.type} ${e.instance}`);
  });
  supervisor.start();
  await settle();
  const [web1, web2] = runtime.runs; // api#1 is the third
  const restarted = supervisor.restart("web");
  await settle();
  assert.deepEqual(asked, ["web#1"], "web#2 keeps serving while web#1 is replaced");
  assert.deepEqual(web1!.signals, ["SIGTERM"]);
  assert.deepEqual(web2!.signals, []);
  web1!.end({ code: 0, signal: null });
  await settle();
  assert.deepEqual(asked, ["web#1", "web#2"], "web#2 goes once the new web#1 is ready");
  web2!.end({ code: 0, signal: null });
  await restarted;
  assert.equal(runtime.runs.length, 5);
  assert.deepEqual(events, [
    "InstanceStarted web#1",
    "InstanceStarted web#2",
    "InstanceStarted api#1",
    "InstanceStopped web#1",
    "InstanceStarted web#1",
    "InstanceStopped web#2",
    "InstanceStarted web#2",
  ]);
  await assert.rejects(supervisor.restart("nope"), /no service named "nope"; services are: web, api/);
});

test("a restart cut short by a stop starts nothing more", async () => {
  const { runtime, supervisor } = supervise(async () => {});
  supervisor.start();
  await settle();
  const restarted = supervisor.restart("web");
  await settle();
  const stopped = supervisor.stop();
  for (const run of runtime.runs) run.end({ code: 0, signal: null });
  await restarted;
  await stopped;
  assert.equal(runtime.runs.length, 3, "nothing was started after the stop began");
});
