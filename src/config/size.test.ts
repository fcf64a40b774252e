import assert from "node:assert/strict";
import { test } from "node:test";
import { parseSize, SIZE_PATTERN } from "./size.js";

test("KiB, MiB, GiB are 1024-based", () => {
  assert.equal(parseSize("512KiB"), 512 * 1024);
  assert.equal(parseSize("10MiB"), 10 * 1024 ** 2);
  assert.equal(parseSize("1GiB"), 1024 ** 3);
});

test("KB, MB, GB are 1000-based, as their names say", () => {
  assert.equal(parseSize("500KB"), 500_000);
  assert.equal(parseSize("10MB"), 10_000_000);
  assert.equal(parseSize("1GB"), 1_000_000_000);
});

test("a bare integer is bytes, as a number or a string", () => {
  assert.equal(parseSize(1_000_000), 1_000_000);
  assert.equal(parseSize("1000000"), 1_000_000);
  assert.equal(parseSize("100B"), 100);
});

test("units in any case, an optional space, fractions with a unit", () => {
  assert.equal(parseSize("10mib"), 10 * 1024 ** 2);
  assert.equal(parseSize("10 MB"), 10_000_000);
  assert.equal(parseSize("1.5KiB"), 1536);
});

test("refuses what is not a size", () => {
  for (const bad of ["", "lots", "10XB", "10K", "-1", "1.5", "MiB", "10 MiB extra"]) {
    assert.equal(parseSize(bad), undefined, bad);
  }
  assert.equal(parseSize(-1), undefined);
  assert.equal(parseSize(1.5), undefined);
});

test("SIZE_PATTERN (the JSON Schema's) agrees with parseSize on strings", () => {
  const re = new RegExp(SIZE_PATTERN);
  for (const s of ["512KiB", "10MB", "1000000", "100B", "10 MB", "1.5KiB", "1.5", "10K", "lots", ""]) {
    assert.equal(re.test(s), parseSize(s) !== undefined, s);
  }
});
