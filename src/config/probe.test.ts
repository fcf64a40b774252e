import assert from "node:assert/strict";
import { test } from "node:test";
import type { PortSpec } from "./config.js";
import type { PathIssue } from "./issue.js";
import { normalizeReady } from "./probe.js";

const auto: PortSpec = { kind: "auto" };
const none: PortSpec = { kind: "none" };

function ready(written: Parameters<typeof normalizeReady>[0], port: PortSpec) {
  const issues: PathIssue[] = [];
  return { probe: normalizeReady(written, port, ["ready"], issues), issues: issues.map((i) => i.message) };
}

test("default: tcp with a port, none without", () => {
  assert.deepEqual(ready(undefined, auto).probe, { kind: "tcp", intervalMs: 100, timeoutMs: 1_000 });
  assert.deepEqual(ready(undefined, none).probe, { kind: "none" });
});

test("false and none turn probing off, even with a port", () => {
  assert.deepEqual(ready(false, auto).probe, { kind: "none" });
  assert.deepEqual(ready("none", auto).probe, { kind: "none" });
});

test("http and exec with their timings", () => {
  assert.deepEqual(ready({ http: "/healthz", interval: "1s", timeout: "250ms" }, auto).probe, {
    kind: "http",
    path: "/healthz",
    intervalMs: 1_000,
    timeoutMs: 250,
  });
  assert.deepEqual(ready({ exec: "pg_isready -p 5432" }, none).probe, {
    kind: "exec",
    argv: ["pg_isready", "-p", "5432"],
    intervalMs: 100,
    timeoutMs: 1_000,
  });
});

test("timings alone keep the default kind", () => {
  assert.deepEqual(ready({ interval: "2s" }, auto).probe, {
    kind: "tcp",
    intervalMs: 2_000,
    timeoutMs: 1_000,
  });
});

test("two kinds at once is an error naming both", () => {
  const { probe, issues } = ready({ tcp: true, exec: "x" }, auto);
  assert.equal(probe, undefined);
  assert.deepEqual(issues, ["choose one probe: tcp, http or exec (found tcp and exec)"]);
});

test("an unusable exec command is an error", () => {
  assert.equal(ready({ exec: "check 'open" }, none).probe, undefined);
});

test("a zero interval or timeout is an error: probes would spin, or always time out", () => {
  const zero = ready({ http: "/healthz", interval: 0, timeout: "0s" }, auto);
  assert.equal(zero.probe, undefined);
  assert.deepEqual(zero.issues, [
    'expected at least 1ms, like "100ms"; 0 would probe in a busy loop',
    'expected at least 1ms, like "1s"; with 0 every probe would time out',
  ]);
  // Durations are kept to the whole ms: 0.4ms is 0.
  assert.equal(ready({ interval: "0.4ms" }, auto).probe, undefined);
  assert.deepEqual(ready({ interval: "1ms", timeout: "1ms" }, auto).probe, {
    kind: "tcp",
    intervalMs: 1,
    timeoutMs: 1,
  });
});
