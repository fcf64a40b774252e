import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:net";
import { test } from "node:test";
import { FakeClock, systemClock } from "../../lib/clock.js";
import { HealthCheck } from "./health-check.js";
import type { Probe, ProbeResult, ProbeTarget } from "./probe.js";
import { TcpProbe } from "./tcp-probe.js";

const target: ProbeTarget = { host: "127.0.0.1", port: 1, cwd: "/", env: {} };

/** A probe whose attempts the test settles by hand. */
class ScriptedProbe implements Probe {
  readonly attempts: {
    signal: AbortSignal;
    settle: (result: ProbeResult) => void;
    fail: (e: Error) => void;
  }[] = [];
  run(_target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
    return new Promise((settle, fail) => this.attempts.push({ signal, settle, fail }));
  }
  attempt(n: number) {
    const a = this.attempts[n];
    assert.ok(a, `attempt ${n} was not made`);
    return a;
  }
}

/** Lets promise callbacks already queued run; one turn of the event loop, not a timed wait. */
const settleCallbacks = () => new Promise((resolve) => setImmediate(resolve));

function setup(overrides: { onFailure?: (reason: string, check: HealthCheck) => void } = {}) {
  const clock = new FakeClock();
  const probe = new ScriptedProbe();
  const failures: string[] = [];
  let readyCount = 0;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  let failureWaiter: ((reason: string) => void) | undefined;
  const check: HealthCheck = new HealthCheck({
    probe,
    target,
    intervalMs: 500,
    timeoutMs: 1000,
    clock,
    onReady: () => {
      readyCount++;
      markReady();
    },
    onFailure: (reason) => {
      failures.push(reason);
      failureWaiter?.(reason);
      overrides.onFailure?.(reason, check);
    },
  });
  const nextFailure = () =>
    new Promise<string>((resolve) => {
      failureWaiter = resolve;
    });
  return { clock, probe, check, failures, ready, nextFailure, readyCount: () => readyCount };
}

test("start runs the probe at once and reports ready once, then stops scheduling", async () => {
  const { clock, probe, check, ready, readyCount } = setup();
  check.start();
  assert.equal(probe.attempts.length, 1);
  probe.attempt(0).settle({ ok: true });
  await ready;
  assert.equal(readyCount(), 1);
  assert.equal(clock.pending(), 0);
  clock.advance(10_000);
  assert.equal(probe.attempts.length, 1);
  assert.equal(check.lastFailure, undefined);
});

test("a failed attempt is retried intervalMs after it finished, not after it started", async () => {
  const { clock, probe, check, nextFailure, failures } = setup();
  check.start();
  clock.advance(300);
  const failed = nextFailure();
  probe.attempt(0).settle({ ok: false, reason: "GET /healthz: 500" });
  assert.equal(await failed, "GET /healthz: 500");
  assert.equal(check.lastFailure, "GET /healthz: 500");
  assert.equal(clock.pending(), 1, "only the retry timer is left; the attempt's timeout was cancelled");
  clock.advance(499);
  assert.equal(probe.attempts.length, 1);
  clock.advance(1);
  assert.equal(probe.attempts.length, 2);
  assert.deepEqual(failures, ["GET /healthz: 500"]);
});

test("a timeout is named as berth.yaml writes durations: 1500ms is 1.5s, 90000ms is 1m30s", () => {
  for (const [timeoutMs, written] of [
    [1_500, "1.5s"],
    [90_000, "1m30s"],
    [250, "250ms"],
  ] as const) {
    const clock = new FakeClock();
    const failures: string[] = [];
    const check = new HealthCheck({
      probe: new ScriptedProbe(),
      target,
      intervalMs: 500,
      timeoutMs,
      clock,
      onReady: () => {},
      onFailure: (reason) => failures.push(reason),
    });
    check.start();
    clock.advance(timeoutMs);
    check.stop();
    assert.deepEqual(failures, [`timed out after ${written}`]);
  }
});

test("an attempt that takes longer than timeoutMs fails, and its signal is aborted", async () => {
  const { clock, probe, check, nextFailure, readyCount } = setup();
  check.start();
  const failed = nextFailure();
  clock.advance(999);
  assert.equal(probe.attempt(0).signal.aborted, false);
  clock.advance(1);
  assert.equal(await failed, "timed out after 1s");
  assert.equal(probe.attempt(0).signal.aborted, true);
  // The timed-out attempt answering late changes nothing.
  probe.attempt(0).settle({ ok: true });
  await settleCallbacks();
  assert.equal(readyCount(), 0);
  clock.advance(500);
  assert.equal(probe.attempts.length, 2);
});

test("a probe that rejects counts as a failure with the error's message", async () => {
  const { probe, check, nextFailure } = setup();
  check.start();
  const failed = nextFailure();
  probe.attempt(0).fail(new Error("boom"));
  assert.equal(await failed, "boom");
});

test("stop aborts the attempt in flight and a late pass never reports ready", async () => {
  const { clock, probe, check, readyCount } = setup();
  check.start();
  check.stop();
  check.stop();
  assert.equal(probe.attempt(0).signal.aborted, true);
  assert.equal(clock.pending(), 0);
  probe.attempt(0).settle({ ok: true });
  await settleCallbacks();
  assert.equal(readyCount(), 0);
  check.start();
  assert.equal(probe.attempts.length, 1, "a stopped check does not start again");
});

test("stop while waiting for the next attempt cancels it", async () => {
  const { clock, probe, check, nextFailure } = setup();
  check.start();
  const failed = nextFailure();
  probe.attempt(0).settle({ ok: false, reason: "exit code 1" });
  await failed;
  check.stop();
  assert.equal(clock.pending(), 0);
  clock.advance(10_000);
  assert.equal(probe.attempts.length, 1);
});

test("onFailure may stop the check", async () => {
  const { clock, probe, check, nextFailure } = setup({ onFailure: (_reason, c) => c.stop() });
  check.start();
  const failed = nextFailure();
  probe.attempt(0).settle({ ok: false, reason: "exit code 1" });
  await failed;
  assert.equal(clock.pending(), 0);
});

test("with a real TCP probe, becomes ready once something listens on the port", async () => {
  const server = createServer((socket) => socket.destroy());
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  assert.ok(address && typeof address === "object");
  const port = address.port;
  server.close();
  await once(server, "close");

  let onFirstFailure: (reason: string) => void = () => {};
  const firstFailure = new Promise<string>((resolve) => {
    onFirstFailure = resolve;
  });
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  const check = new HealthCheck({
    probe: new TcpProbe(),
    target: { ...target, port },
    intervalMs: 10,
    timeoutMs: 2000,
    clock: systemClock,
    onReady,
    onFailure: onFirstFailure,
  });
  check.start();
  try {
    assert.match(await firstFailure, /ECONNREFUSED/);
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
    await ready;
  } finally {
    check.stop();
    server.close();
  }
});

/** A check whose probe fails at once, every time; returns when each attempt was made. */
function alwaysFailing(intervalMs: number) {
  const clock = new FakeClock();
  const attemptsAt: number[] = [];
  const probe: Probe = {
    run: () => {
      attemptsAt.push(clock.now());
      return Promise.resolve({ ok: false, reason: "GET /healthz: 503" });
    },
  };
  const check = new HealthCheck({ probe, target, intervalMs, timeoutMs: 1000, clock, onReady: () => {} });
  return { clock, check, attemptsAt };
}

/** Advances the fake clock in steps, letting each failed attempt schedule the next. */
async function runFor(clock: FakeClock, ms: number, step = 50) {
  for (let t = 0; t < ms; t += step) {
    await settleCallbacks();
    clock.advance(step);
  }
  await settleCallbacks();
}

test("after 10s without success, a short interval slows to once a second", async () => {
  const { clock, check, attemptsAt } = alwaysFailing(100);
  check.start();
  await runFor(clock, 14_000);
  check.stop();
  const early = attemptsAt.filter((t) => t < 10_000);
  assert.equal(early.length, 100, "every 100ms for the first 10s");
  assert.deepEqual(
    attemptsAt.filter((t) => t >= 10_000),
    [10_000, 11_000, 12_000, 13_000, 14_000],
    "then once a second",
  );
});

test("an interval longer than a second is kept after 10s", async () => {
  const { clock, check, attemptsAt } = alwaysFailing(3_000);
  check.start();
  await runFor(clock, 20_000, 500);
  check.stop();
  assert.deepEqual(attemptsAt, [0, 3_000, 6_000, 9_000, 12_000, 15_000, 18_000]);
});
