import assert from "node:assert/strict";
import { mock, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { MAX_TIMEOUT_MS, systemClock } from "./clock.js";

test("systemClock: a timer longer than setTimeout's limit does not fire early", async () => {
  let fired = false;
  const timer = systemClock.setTimer(2 ** 31 + 1_000, () => {
    fired = true;
  });
  try {
    // Not synchronisation on the timer under test: a timer passed straight to setTimeout with
    // ms >= 2^31 fires after 1 ms, so 20 ms of real time is ample for that bug to show.
    await sleep(20);
    assert.equal(fired, false);
  } finally {
    timer.cancel();
  }
});

test("systemClock: a chained timer fires once, when its whole duration has passed", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const fn = mock.fn();
  systemClock.setTimer(2 * MAX_TIMEOUT_MS + 5, fn);
  t.mock.timers.tick(MAX_TIMEOUT_MS);
  t.mock.timers.tick(MAX_TIMEOUT_MS);
  assert.equal(fn.mock.callCount(), 0);
  t.mock.timers.tick(4);
  assert.equal(fn.mock.callCount(), 0);
  t.mock.timers.tick(1);
  assert.equal(fn.mock.callCount(), 1);
  t.mock.timers.tick(3 * MAX_TIMEOUT_MS);
  assert.equal(fn.mock.callCount(), 1);
});

test("systemClock: cancel works in the middle of a chain", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const fn = mock.fn();
  const timer = systemClock.setTimer(MAX_TIMEOUT_MS + 10, fn);
  t.mock.timers.tick(MAX_TIMEOUT_MS); // the first step has fired; the second is pending
  timer.cancel();
  t.mock.timers.tick(MAX_TIMEOUT_MS);
  assert.equal(fn.mock.callCount(), 0);
});

test("systemClock: a short timer fires after its delay; a cancelled one never", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const fired = mock.fn();
  const cancelled = mock.fn();
  systemClock.setTimer(100, fired);
  systemClock.setTimer(100, cancelled).cancel();
  t.mock.timers.tick(99);
  assert.equal(fired.mock.callCount(), 0);
  t.mock.timers.tick(1);
  assert.equal(fired.mock.callCount(), 1);
  assert.equal(cancelled.mock.callCount(), 0);
});
