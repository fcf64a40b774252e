import assert from "node:assert/strict";
import { test } from "node:test";
import { normalizeSignal } from "./signal-name.js";

test("SIGTERM, TERM, term and sigterm all mean SIGTERM", () => {
  for (const written of ["SIGTERM", "TERM", "term", "sigterm", " Term "]) {
    assert.equal(normalizeSignal(written), "SIGTERM", written);
  }
  assert.equal(normalizeSignal("KILL"), "SIGKILL");
  assert.equal(normalizeSignal("usr1"), "SIGUSR1");
});

test("names this platform does not know are refused", () => {
  for (const bad of ["SIGTRM", "", "SIG", "9", "SIGFOO"]) assert.equal(normalizeSignal(bad), undefined, bad);
});
