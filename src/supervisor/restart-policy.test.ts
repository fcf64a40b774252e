import assert from "node:assert/strict";
import { test } from "node:test";
import { ExitHistory } from "./exit-history.js";
import type { ExitStatus } from "./exit-status.js";
import { Backoff, shouldRestart } from "./restart-policy.js";

const exit = (fields: Partial<ExitStatus>): ExitStatus => ({
  code: null,
  signal: null,
  at: 0,
  ranMs: 0,
  ...fields,
});

test("restart modes", () => {
  const clean = exit({ code: 0 });
  const failed = exit({ code: 1 });
  const killed = exit({ signal: "SIGKILL" });
  const notFound = exit({ error: "executable not found" });
  assert.deepEqual(
    [clean, failed, killed, notFound].map((s) => shouldRestart("on-failure", s)),
    [false, true, true, true],
  );
  assert.equal(shouldRestart("always", clean), true);
  assert.equal(shouldRestart("never", failed), false);
});

test("backoff doubles up to max and resets after a stable run", () => {
  const backoff = new Backoff({ initialMs: 100, maxMs: 1000, resetAfterMs: 10_000 });
  const quick = exit({ code: 1, ranMs: 50 });
  assert.deepEqual(
    Array.from({ length: 6 }, () => backoff.next(quick)),
    [100, 200, 400, 800, 1000, 1000],
  );
  assert.equal(backoff.next(exit({ code: 1, ranMs: 10_000 })), 100);
  assert.equal(backoff.next(quick), 200);
});

test("exit history summarises repeats, newest last, bounded", () => {
  const history = new ExitHistory(3);
  for (const code of [9, 1, 1, 1]) history.record(exit({ code }));
  history.record(exit({ signal: "SIGKILL" }));
  assert.equal(history.recent().length, 3);
  assert.equal(history.summary(), "exited with code 1 ×2, killed by SIGKILL (9)");
  history.record(exit({ error: 'starting web#1: executable "x" not found in PATH' }));
  assert.equal(history.summary(), "exited with code 1, killed by SIGKILL (9), failed to start");
});
