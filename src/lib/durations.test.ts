import assert from "node:assert/strict";
import { test } from "node:test";
import { DURATION_PATTERN, formatDuration, parseDuration } from "./durations.js";

test("parseDuration reads each unit into milliseconds", () => {
  assert.equal(parseDuration("100ms"), 100);
  assert.equal(parseDuration("10s"), 10_000);
  assert.equal(parseDuration("1.5s"), 1_500);
  assert.equal(parseDuration("2m"), 120_000);
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration("1m30s"), 90_000);
  assert.equal(parseDuration("1m500ms"), 60_500);
});

test("parseDuration accepts 0 with or without a unit", () => {
  assert.equal(parseDuration(0), 0);
  assert.equal(parseDuration("0"), 0);
  assert.equal(parseDuration("0s"), 0);
});

test("parseDuration refuses bare numbers: the unit would be a guess", () => {
  assert.equal(parseDuration(10), undefined);
  assert.equal(parseDuration("10"), undefined);
  assert.equal(parseDuration(1.5), undefined);
});

test("parseDuration refuses what is not a duration", () => {
  for (const bad of ["", "s", "10 s", "-1s", "1d", "1.s", "ten seconds", "10S", "1e3ms"]) {
    assert.equal(parseDuration(bad), undefined, bad);
  }
});

test("parseDuration rounds to a whole millisecond", () => {
  assert.equal(parseDuration("1.4ms"), 1);
  assert.equal(parseDuration("0.0015s"), 2);
});

test("DURATION_PATTERN (the JSON Schema's) agrees with parseDuration", () => {
  const re = new RegExp(DURATION_PATTERN);
  for (const s of ["100ms", "1.5s", "1m30s", "0", "10", "10 s", "-1s", "1d", ""]) {
    assert.equal(re.test(s), parseDuration(s) !== undefined, s);
  }
});

test("formatDuration gives the short form", () => {
  assert.equal(formatDuration(250), "250ms");
  assert.equal(formatDuration(1_500), "1.5s");
  assert.equal(formatDuration(10_000), "10s");
  assert.equal(formatDuration(120_000), "2m");
  assert.equal(formatDuration(90_000), "1m30s");
  assert.equal(formatDuration(3_600_000), "1h");
  assert.equal(formatDuration(0), "0");
});

test("formatDuration reads back to the same value", () => {
  for (const ms of [1, 999, 1_000, 1_001, 59_999, 60_000, 60_500, 61_500, 3_599_999, 3_660_000, 86_400_000]) {
    assert.equal(parseDuration(formatDuration(ms)), ms, formatDuration(ms));
  }
});
