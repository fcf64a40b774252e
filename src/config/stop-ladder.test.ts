import assert from "node:assert/strict";
import { test } from "node:test";
import type { PathIssue } from "./issue.js";
import { normalizeStop } from "./stop-ladder.js";

function stop(written: Parameters<typeof normalizeStop>[0]) {
  const issues: PathIssue[] = [];
  const policy = normalizeStop(written, ["stop"], issues);
  return { steps: policy?.steps, issues: issues.map((i) => `${i.path.join(".")}: ${i.message}`) };
}

test("default: SIGTERM, then SIGKILL after 10s", () => {
  assert.deepEqual(stop(undefined).steps, [
    { signal: "SIGTERM", atMs: 0 },
    { signal: "SIGKILL", atMs: 10_000 },
  ]);
});

test("{ signal, timeout }: the signal, then SIGKILL after the timeout; names normalized", () => {
  assert.deepEqual(stop({ signal: "int", timeout: "3s" }).steps, [
    { signal: "SIGINT", atMs: 0 },
    { signal: "SIGKILL", atMs: 3_000 },
  ]);
  assert.deepEqual(stop({ timeout: 0 }).steps, [
    { signal: "SIGTERM", atMs: 0 },
    { signal: "SIGKILL", atMs: 0 },
  ]);
});

test("{ signal: SIGKILL } is a single step", () => {
  assert.deepEqual(stop({ signal: "KILL" }).steps, [{ signal: "SIGKILL", atMs: 0 }]);
});

test("apache: SIGINT at 0, 1s and 2s, then SIGKILL at 3s", () => {
  assert.deepEqual(stop("apache").steps, [
    { signal: "SIGINT", atMs: 0 },
    { signal: "SIGINT", atMs: 1_000 },
    { signal: "SIGINT", atMs: 2_000 },
    { signal: "SIGKILL", atMs: 3_000 },
  ]);
});

test("a ladder keeps times since the stop began; the first step may omit after", () => {
  const { steps, issues } = stop([
    { signal: "TERM" },
    { signal: "INT", after: "5s" },
    { signal: "INT", after: "5s" },
    { signal: "KILL", after: "1m" },
  ]);
  assert.deepEqual(issues, []);
  assert.deepEqual(steps, [
    { signal: "SIGTERM", atMs: 0 },
    { signal: "SIGINT", atMs: 5_000 },
    { signal: "SIGINT", atMs: 5_000 },
    { signal: "SIGKILL", atMs: 60_000 },
  ]);
});

test("a ladder must end with SIGKILL, and says what to add", () => {
  const { steps, issues } = stop([{ signal: "TERM" }, { signal: "INT", after: "5s" }]);
  assert.equal(steps, undefined);
  assert.deepEqual(issues, [
    'stop: the ladder must end with SIGKILL; add { signal: SIGKILL, after: "10s" } as the last step',
  ]);
});

test("times may not go down; later steps need after", () => {
  const { issues } = stop([
    { signal: "TERM", after: "5s" },
    { signal: "INT", after: "2s" },
    { signal: "QUIT" },
    { signal: "KILL", after: "10s" },
  ]);
  assert.equal(issues.length, 2);
  assert.match(issues[0]!, /^stop\.1\.after: 2s is earlier than the step before it \(5s\)/);
  assert.match(issues[1]!, /^stop\.2\.after: missing/);
});

test("a step after SIGKILL is refused as unreachable", () => {
  const { issues } = stop([{ signal: "KILL" }, { signal: "TERM", after: "1s" }]);
  assert.deepEqual(issues, [
    "stop.1: this step is never reached: SIGKILL before it ends the ladder; remove it",
  ]);
});
