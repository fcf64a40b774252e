import assert from "node:assert/strict";
import { test } from "node:test";
import { didYouMean, distance } from "./did-you-mean.js";

const KEYS = ["command", "cwd", "env", "replicas", "port", "depends_on", "ready", "restart", "stop", "logs"];

test("a typo gets the key it was meant to be", () => {
  assert.equal(didYouMean("comand", KEYS), "command");
  assert.equal(didYouMean("replica", KEYS), "replicas");
  assert.equal(didYouMean("restrat", KEYS), "restart");
});

test("case and separator differences always match", () => {
  assert.equal(didYouMean("dependsOn", KEYS), "depends_on");
  assert.equal(didYouMean("depends-on", KEYS), "depends_on");
  assert.equal(didYouMean("COMMAND", KEYS), "command");
});

test("a word unlike any candidate gets no suggestion", () => {
  assert.equal(didYouMean("frobnicate", KEYS), undefined);
  assert.equal(didYouMean("image", KEYS), undefined);
  assert.equal(didYouMean("x", []), undefined);
});

test("short words tolerate only one slip", () => {
  assert.equal(didYouMean("cwf", KEYS), "cwd");
  assert.equal(didYouMean("abc", KEYS), undefined);
});

test("distance counts an adjacent swap as one edit", () => {
  assert.equal(distance("ab", "ba"), 1);
  assert.equal(distance("kitten", "sitting"), 3);
  assert.equal(distance("", "abc"), 3);
});
