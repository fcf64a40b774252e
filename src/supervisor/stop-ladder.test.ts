import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock } from "../lib/clock.js";
import { StopLadder } from "./stop-ladder.js";

const apache = {
  steps: [
    { signal: "SIGINT", atMs: 0 },
    { signal: "SIGINT", atMs: 1000 },
    { signal: "SIGINT", atMs: 2000 },
    { signal: "SIGKILL", atMs: 3000 },
  ] as { signal: NodeJS.Signals; atMs: number }[],
};

test("sends each step at its time since the stop began", () => {
  const clock = new FakeClock();
  const sent: string[] = [];
  const ladder = new StopLadder(apache, clock, (signal) => sent.push(`${signal}@${clock.now()}`));
  ladder.start();
  clock.advance(5000);
  assert.deepEqual(sent, ["SIGINT@0", "SIGINT@1000", "SIGINT@2000", "SIGKILL@3000"]);
  assert.equal(ladder.lastSignal, "SIGKILL");
});

test("cancel stops the remaining steps", () => {
  const clock = new FakeClock();
  const sent: string[] = [];
  const ladder = new StopLadder(apache, clock, (signal) => sent.push(signal));
  ladder.start();
  clock.advance(1500);
  ladder.cancel();
  clock.advance(5000);
  assert.deepEqual(sent, ["SIGINT", "SIGINT"]);
  assert.equal(clock.pending(), 0);
});

test("escalate kills at once and skips the rest", () => {
  const clock = new FakeClock();
  const sent: string[] = [];
  const ladder = new StopLadder(apache, clock, (signal) => sent.push(signal));
  ladder.start();
  ladder.escalate();
  clock.advance(5000);
  assert.deepEqual(sent, ["SIGINT", "SIGKILL"]);
});
