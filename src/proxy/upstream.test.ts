import assert from "node:assert/strict";
import { test } from "node:test";
import type { SupervisorEvent } from "../supervisor/events.js";
import { ServiceUpstream, type Target } from "./upstream.js";

const EXIT = { code: 1, signal: null, at: 0, ranMs: 10 };

function ready(instance: string, port: number, service = "web"): SupervisorEvent {
  return { type: "InstanceReady", service, instance, port, afterMs: 5 };
}

/** Every event that takes an instance out of rotation. */
const leaving: Record<string, (instance: string, service?: string) => SupervisorEvent> = {
  InstanceExited: (instance, service = "web") => ({
    type: "InstanceExited",
    service,
    instance,
    status: EXIT,
    willRestart: true,
    restartMode: "always",
  }),
  InstanceDraining: (instance, service = "web") => ({
    type: "InstanceDraining",
    service,
    instance,
    timeoutMs: 10_000,
  }),
  InstanceStopSignal: (instance, service = "web") => ({
    type: "InstanceStopSignal",
    service,
    instance,
    signal: "SIGTERM",
    atMs: 0,
  }),
  InstanceStopped: (instance, service = "web") => ({
    type: "InstanceStopped",
    service,
    instance,
    afterMs: 3,
    status: EXIT,
  }),
  InstanceStartFailed: (instance, service = "web") => ({
    type: "InstanceStartFailed",
    service,
    instance,
    reason: "boom",
    repeated: false,
  }),
  InstanceNotReady: (instance, service = "web") => ({
    type: "InstanceNotReady",
    service,
    instance,
    afterMs: 5,
    reason: "x",
  }),
};

function upstream(balance: "round_robin" | "least_conn", count = 3): ServiceUpstream {
  const u = new ServiceUpstream("web", balance);
  for (let i = 1; i <= count; i++) u.onEvent(ready(`web#${i}`, 9000 + i));
  return u;
}

function picks(u: ServiceUpstream, n: number, exclude?: Set<string>): (string | undefined)[] {
  return Array.from({ length: n }, () => u.pick(exclude)?.instance);
}

/** Settled yet? (a pending promise stays pending across a macrotask) */
async function settled(p: Promise<void>): Promise<boolean> {
  let done = false;
  void p.then(() => {
    done = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

test("round robin rotates through ready instances in the order they became ready", () => {
  const u = upstream("round_robin");
  assert.deepEqual(picks(u, 7), ["web#1", "web#2", "web#3", "web#1", "web#2", "web#3", "web#1"]);
});

test("pick returns the instance's loopback address and port", () => {
  const u = upstream("round_robin", 2);
  assert.deepEqual(u.pick(), { instance: "web#1", host: "127.0.0.1", port: 9001 });
  assert.deepEqual(u.pick(), { instance: "web#2", host: "127.0.0.1", port: 9002 });
});

test("an empty upstream picks nothing and counts no ready instance", () => {
  const u = new ServiceUpstream("web", "round_robin");
  assert.equal(u.pick(), undefined);
  assert.equal(u.readyCount, 0);
});

test("round robin continues fairly after an instance leaves mid-rotation", () => {
  const u = upstream("round_robin");
  assert.deepEqual(picks(u, 2), ["web#1", "web#2"]);
  u.onEvent(leaving.InstanceExited!("web#1"));
  assert.deepEqual(picks(u, 4), ["web#3", "web#2", "web#3", "web#2"]);
});

test("least_conn takes the instance with the fewest requests in flight", () => {
  const u = upstream("least_conn");
  const t = (instance: string): Target => ({ instance, host: "127.0.0.1", port: 0 });
  for (let i = 0; i < 3; i++) u.acquire(t("web#1"));
  u.acquire(t("web#2"));
  // web#3 has none, then web#2 ties with it at 1 → round-robin order decides.
  const first = u.pick()!;
  assert.equal(first.instance, "web#3");
  u.acquire(first);
  assert.equal(u.pick()?.instance, "web#2");
  assert.equal(u.inFlight("web#1"), 3);
  u.release(t("web#1"));
  u.release(t("web#1"));
  u.release(t("web#1"));
  assert.equal(u.inFlight("web#1"), 0);
  assert.equal(u.pick()?.instance, "web#1");
});

test("least_conn with equal counts rotates like round robin", () => {
  const u = upstream("least_conn");
  assert.deepEqual(picks(u, 4), ["web#1", "web#2", "web#3", "web#1"]);
});

for (const [type, event] of Object.entries(leaving)) {
  test(`${type} takes the instance out of rotation at once`, () => {
    const u = upstream("round_robin");
    u.onEvent(event("web#2"));
    assert.equal(u.readyCount, 2);
    assert.equal(u.isInRotation("web#2"), false);
    assert.deepEqual(picks(u, 4), ["web#1", "web#3", "web#1", "web#3"]);
    u.onEvent(ready("web#2", 9012));
    assert.equal(u.readyCount, 3);
    assert.ok(picks(u, 3).includes("web#2"));
  });
}

test("only the first of repeated stop signals matters; a second is harmless", () => {
  const u = upstream("round_robin", 2);
  u.onEvent(leaving.InstanceStopSignal!("web#1"));
  u.onEvent(leaving.InstanceStopSignal!("web#1"));
  assert.deepEqual(picks(u, 2), ["web#2", "web#2"]);
});

test("markDown keeps an instance out until its next InstanceReady, which may bring a new port", () => {
  const u = upstream("round_robin", 2);
  u.markDown("web#1");
  assert.equal(u.isDown("web#1"), true);
  assert.equal(u.readyCount, 1);
  assert.deepEqual(picks(u, 3), ["web#2", "web#2", "web#2"]);
  u.onEvent(ready("web#1", 9101));
  assert.equal(u.isDown("web#1"), false);
  assert.equal(u.readyCount, 2);
  const targets = [u.pick(), u.pick()];
  assert.deepEqual(
    targets.find((t) => t?.instance === "web#1"),
    { instance: "web#1", host: "127.0.0.1", port: 9101 },
  );
});

test("markDown with a stale port (an earlier run's) is ignored", () => {
  const u = upstream("round_robin", 1);
  u.markDown("web#1", 8999);
  assert.equal(u.isDown("web#1"), false);
  assert.equal(u.readyCount, 1);
  u.markDown("web#1", 9001);
  assert.equal(u.isDown("web#1"), true);
  assert.equal(u.readyCount, 0);
});

test("a retry with exclude avoids the instance that refused, or finds none", () => {
  const u = upstream("round_robin", 2);
  const refused = u.pick()!;
  assert.equal(refused.instance, "web#1");
  const exclude = new Set([refused.instance]);
  assert.deepEqual(picks(u, 3, exclude), ["web#2", "web#2", "web#2"]);
  assert.equal(u.pick(new Set(["web#1", "web#2"])), undefined);
  const lc = upstream("least_conn", 2);
  assert.equal(lc.pick(new Set(["web#1"]))?.instance, "web#2");
});

test("drained resolves only after the last in-flight request is released", async () => {
  const u = upstream("round_robin", 2);
  const a = u.pick()!;
  u.acquire(a);
  u.acquire(a);
  u.onEvent(leaving.InstanceStopSignal!(a.instance));
  const drained = u.drained(a.instance);
  assert.equal(await settled(drained), false);
  u.release(a);
  assert.equal(u.inFlight(a.instance), 1);
  assert.equal(await settled(drained), false);
  u.release(a);
  assert.equal(await settled(drained), true);
});

test("drained waits for the instance to leave rotation, and is immediate when idle and out", async () => {
  const u = upstream("round_robin", 2);
  const inRotation = u.drained("web#1");
  assert.equal(await settled(inRotation), false);
  u.onEvent(leaving.InstanceStopSignal!("web#1"));
  assert.equal(await settled(inRotation), true);
  assert.equal(await settled(u.drained("web#1")), true);
});

test("a stop's drain: out of rotation on InstanceDraining, drained once its last request ends", async () => {
  const u = upstream("round_robin", 2);
  const a = u.pick()!;
  u.acquire(a);
  const drained = u.drained(a.instance);
  u.onEvent(leaving.InstanceDraining!(a.instance));
  assert.deepEqual(picks(u, 2), ["web#2", "web#2"], "no new request goes to it");
  assert.equal(await settled(drained), false, "its request is still in flight");
  u.release(a);
  assert.equal(await settled(drained), true);
});

test("a drain wait ends if the instance comes back ready (that run is over)", async () => {
  const u = upstream("round_robin", 1);
  const t = u.pick()!;
  u.acquire(t);
  u.onEvent(leaving.InstanceExited!("web#1"));
  const drained = u.drained("web#1");
  assert.equal(await settled(drained), false);
  u.onEvent(ready("web#1", 9001));
  assert.equal(await settled(drained), true);
});

test("onReady fires with the target each time an instance enters rotation; unsubscribe stops it", () => {
  const u = new ServiceUpstream("web", "round_robin");
  const seen: Target[] = [];
  const off = u.onReady((t) => seen.push(t));
  u.onEvent(ready("web#1", 9001));
  u.onEvent(ready("other#1", 7001, "other"));
  assert.deepEqual(seen, [{ instance: "web#1", host: "127.0.0.1", port: 9001 }]);
  off();
  u.onEvent(ready("web#2", 9002));
  assert.equal(seen.length, 1);
});

test("InstanceReady without a port does not enter rotation", () => {
  const u = new ServiceUpstream("web", "round_robin");
  u.onEvent({ type: "InstanceReady", service: "web", instance: "web#1", afterMs: 1 });
  assert.equal(u.readyCount, 0);
  assert.equal(u.pick(), undefined);
});

test("events for other services are ignored", () => {
  const u = upstream("round_robin", 2);
  u.onEvent(ready("api#1", 7001, "api"));
  for (const event of Object.values(leaving)) {
    u.onEvent(event("web#1", "api"));
    u.onEvent(event("web#2", "api"));
  }
  u.onEvent({ type: "ServiceWaiting", service: "web", waitingFor: ["db"] });
  u.onEvent({ type: "SupervisorIdle", neverStarted: [] });
  assert.equal(u.readyCount, 2);
  assert.deepEqual(picks(u, 3), ["web#1", "web#2", "web#1"]);
});
