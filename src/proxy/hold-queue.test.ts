import assert from "node:assert/strict";
import { test } from "node:test";
import { setImmediate as flush } from "node:timers/promises";
import { DEFAULT_PROXY } from "../config/proxy-settings.js";
import { FakeClock } from "../lib/clock.js";
import { type HoldOutcome, HoldQueue } from "./hold-queue.js";

/** Records a hold's outcome as it settles, so a test can tell "still waiting" from settled. */
function track(promise: Promise<HoldOutcome>, log?: string[], name?: string) {
  const state: { outcome: HoldOutcome | undefined } = { outcome: undefined };
  void promise.then((outcome) => {
    state.outcome = outcome;
    if (log && name) log.push(`${name}:${outcome}`);
  });
  return state;
}

function setup(options: { maxWaitMs?: number; maxRequests?: number; maxBytes?: number } = {}) {
  const clock = new FakeClock();
  return { clock, queue: new HoldQueue({ clock, ...DEFAULT_PROXY.hold, ...options }) };
}

test("release lets every waiter go, in arrival order, and leaves no timer", async () => {
  const { clock, queue } = setup();
  const log: string[] = [];
  track(queue.hold(1), log, "a");
  track(queue.hold(2), log, "b");
  track(queue.hold(3), log, "c");
  assert.equal(queue.size, 3);
  assert.equal(queue.bytes, 6);
  assert.equal(clock.pending(), 3);
  await flush();
  assert.deepEqual(log, [], "nobody goes before release");

  assert.equal(queue.release(), 3);
  await flush();
  assert.deepEqual(log, ["a:released", "b:released", "c:released"]);
  assert.equal(queue.size, 0);
  assert.equal(queue.bytes, 0);
  assert.equal(clock.pending(), 0);
});

test("after a release the queue holds again: a later request waits for the next release", async () => {
  const { queue } = setup();
  queue.hold(1);
  queue.release();
  const later = track(queue.hold(1));
  await flush();
  assert.equal(later.outcome, undefined);
  assert.equal(queue.size, 1);
  queue.release();
  await flush();
  assert.equal(later.outcome, "released");
});

test("a waiter times out exactly at maxWaitMs, not a millisecond before", async () => {
  const { clock, queue } = setup({ maxWaitMs: 30_000 });
  const held = track(queue.hold(10));
  clock.advance(29_999);
  await flush();
  assert.equal(held.outcome, undefined);
  assert.equal(queue.size, 1);
  clock.advance(1);
  await flush();
  assert.equal(held.outcome, "timed_out");
  assert.equal(queue.size, 0);
  assert.equal(queue.bytes, 0);
  assert.equal(clock.pending(), 0);
});

test("the default wait is 30 s", async () => {
  const { clock, queue } = setup();
  const held = track(queue.hold(0));
  clock.advance(29_999);
  await flush();
  assert.equal(held.outcome, undefined);
  clock.advance(1);
  await flush();
  assert.equal(held.outcome, "timed_out");
});

test("each waiter's wait is counted from its own arrival", async () => {
  const { clock, queue } = setup({ maxWaitMs: 1_000 });
  const early = track(queue.hold(5));
  clock.advance(400);
  const late = track(queue.hold(7));
  clock.advance(600);
  await flush();
  assert.equal(early.outcome, "timed_out");
  assert.equal(late.outcome, undefined);
  assert.equal(queue.size, 1);
  assert.equal(queue.bytes, 7);
  clock.advance(400);
  await flush();
  assert.equal(late.outcome, "timed_out");
});

test("full by count: maxRequests may wait, one more is answered full at once", async () => {
  const { clock, queue } = setup({ maxRequests: 2 });
  const a = track(queue.hold(1));
  const b = track(queue.hold(1));
  assert.equal(await queue.hold(1), "full");
  await flush();
  assert.equal(a.outcome, undefined);
  assert.equal(b.outcome, undefined);
  assert.equal(queue.size, 2);
  assert.equal(queue.bytes, 2);
  assert.equal(clock.pending(), 2, "a full answer arms no timer");
});

test("full by bytes: up to maxBytes may wait, a byte more is full", async () => {
  const { queue } = setup({ maxBytes: 100 });
  const a = track(queue.hold(60));
  const b = track(queue.hold(40));
  assert.equal(await queue.hold(1), "full");
  await flush();
  assert.equal(a.outcome, undefined);
  assert.equal(b.outcome, undefined);
  assert.equal(queue.size, 2);
  assert.equal(queue.bytes, 100);
  // Zero-byte requests still fit by bytes.
  const empty = track(queue.hold(0));
  await flush();
  assert.equal(empty.outcome, undefined);
  assert.equal(queue.size, 3);
});

test("a request larger than maxBytes on its own is full even when the queue is empty", async () => {
  const { clock, queue } = setup({ maxBytes: 100 });
  assert.equal(await queue.hold(101), "full");
  assert.equal(queue.size, 0);
  assert.equal(clock.pending(), 0);
});

test("the default limits are 1000 requests and 16 MiB", async () => {
  const byCount = setup().queue;
  for (let i = 0; i < 1000; i++) void byCount.hold(0);
  assert.equal(byCount.size, 1000);
  assert.equal(await byCount.hold(0), "full");

  const byBytes = setup().queue;
  void byBytes.hold(16 * 1024 * 1024 - 1);
  void byBytes.hold(1);
  assert.equal(byBytes.bytes, 16 * 1024 * 1024);
  assert.equal(await byBytes.hold(1), "full");
});

test("cancelling frees the waiter's count and bytes at once and leaves no timer", async () => {
  const { clock, queue } = setup({ maxRequests: 2, maxBytes: 100 });
  const controller = new AbortController();
  const cancelled = track(queue.hold(70, controller.signal));
  const other = track(queue.hold(30));
  assert.equal(await queue.hold(1), "full");

  controller.abort();
  assert.equal(queue.size, 1, "count freed synchronously");
  assert.equal(queue.bytes, 30, "bytes freed synchronously");
  assert.equal(clock.pending(), 1, "only the other waiter's timer is left");
  await flush();
  assert.equal(cancelled.outcome, "cancelled");
  assert.equal(other.outcome, undefined);

  // The freed capacity can be taken again.
  const next = track(queue.hold(70));
  await flush();
  assert.equal(next.outcome, undefined);
  assert.equal(queue.size, 2);
  assert.equal(queue.bytes, 100);

  // The cancelled waiter's timer really is gone: it cannot fire later.
  queue.release();
  clock.advance(60_000);
  await flush();
  assert.equal(cancelled.outcome, "cancelled");
  assert.equal(clock.pending(), 0);
});

test("an already aborted signal is answered cancelled at once and takes nothing", async () => {
  const { clock, queue } = setup();
  assert.equal(await queue.hold(10, AbortSignal.abort()), "cancelled");
  assert.equal(queue.size, 0);
  assert.equal(queue.bytes, 0);
  assert.equal(clock.pending(), 0);
});

test("aborting after a waiter was released changes nothing", async () => {
  const { queue } = setup();
  const controller = new AbortController();
  const first = track(queue.hold(10, controller.signal));
  queue.release();
  track(queue.hold(25));
  controller.abort();
  await flush();
  assert.equal(first.outcome, "released");
  assert.equal(queue.size, 1);
  assert.equal(queue.bytes, 25);
});

test("close answers every waiter closed, leaves no timer, and answers later holds closed", async () => {
  const { clock, queue } = setup();
  const log: string[] = [];
  track(queue.hold(1), log, "a");
  track(queue.hold(2, new AbortController().signal), log, "b");
  track(queue.hold(3), log, "c");
  assert.equal(queue.close(), 3);
  assert.equal(queue.closed, true);
  assert.equal(queue.size, 0);
  assert.equal(queue.bytes, 0);
  assert.equal(clock.pending(), 0);
  await flush();
  assert.deepEqual(log, ["a:closed", "b:closed", "c:closed"]);

  assert.equal(await queue.hold(1), "closed");
  assert.equal(queue.size, 0);
  assert.equal(clock.pending(), 0);
  assert.equal(queue.release(), 0);
});

test("invalid sizes and limits are refused", () => {
  const { clock, queue } = setup();
  assert.throws(() => queue.hold(-1), RangeError);
  assert.throws(() => queue.hold(Number.NaN), RangeError);
  assert.throws(() => queue.hold(Number.POSITIVE_INFINITY), RangeError);
  assert.equal(queue.size, 0);
  assert.throws(() => new HoldQueue({ clock, ...DEFAULT_PROXY.hold, maxWaitMs: -1 }), RangeError);
  assert.throws(() => new HoldQueue({ clock, ...DEFAULT_PROXY.hold, maxRequests: Number.NaN }), RangeError);
  assert.throws(() => new HoldQueue({ clock, ...DEFAULT_PROXY.hold, maxBytes: -5 }), RangeError);
});
