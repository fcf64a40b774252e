import assert from "node:assert/strict";
import { test } from "node:test";
import { equalsLower, HeaderList, startsWithLower } from "./header-list.js";

test("equalsLower and startsWithLower ignore ASCII case only", () => {
  const cases: [string, string, boolean][] = [
    ["Content-Length", "content-length", true],
    ["content-length", "content-length", true],
    ["CONTENT-LENGTH", "content-length", true],
    ["Content-Lengt", "content-length", false],
    ["Content-Lengthx", "content-length", false],
    ["Kontent-Length", "content-length", false],
    ["X-Foo", "x-fop", false],
  ];
  for (const [name, lower, want] of cases)
    assert.equal(equalsLower(name, lower), want, `${name} vs ${lower}`);
  assert.equal(startsWithLower("X-Forwarded-Ssl", "x-forwarded-"), true);
  assert.equal(startsWithLower("X-Forwarde", "x-forwarded-"), false);
  assert.equal(startsWithLower("HTTP://LOCALHOST:80/x", "http://localhost:80"), true);
  assert.equal(startsWithLower("ab", "b", 1), true);
});

test("get, joined, has look up case-insensitively and keep order", () => {
  const h = new HeaderList(["Host", "a", "X-Foo", "1", "x-foo", "2", "Accept", "*/*"]);
  assert.equal(h.size, 4);
  assert.equal(h.get("x-foo"), "1");
  assert.equal(h.joined("x-foo"), "1, 2");
  assert.equal(h.joined("x-bar"), undefined);
  assert.equal(h.has("accept"), true);
  assert.equal(h.has("accepts"), false);
  assert.equal(h.indexOf("x-foo", 2), 2);
});

test("remove keeps the other pairs in order and takes the raw array as is", () => {
  const raw = ["A", "1", "x-foo", "2", "B", "3", "X-FOO", "4", "C", "5"];
  const h = new HeaderList(raw);
  assert.equal(h.remove("x-foo"), 2);
  assert.equal(h.remove("x-foo"), 0);
  assert.deepEqual(raw, ["A", "1", "B", "3", "C", "5"]);
  assert.strictEqual(h.raw, raw);
});

test("set replaces the first in place, drops the rest, appends when absent", () => {
  const cases: { raw: string[]; set: [string, string]; want: string[] }[] = [
    {
      raw: ["A", "1", "x-a", "2", "B", "3", "X-A", "4"],
      set: ["X-A", "9"],
      want: ["A", "1", "X-A", "9", "B", "3"],
    },
    { raw: ["A", "1"], set: ["X-A", "9"], want: ["A", "1", "X-A", "9"] },
    { raw: ["x-a", "1"], set: ["X-A", "9"], want: ["X-A", "9"] },
    { raw: [], set: ["X-A", "9"], want: ["X-A", "9"] },
  ];
  for (const { raw, set, want } of cases) {
    const h = new HeaderList(raw);
    h.set(set[0], set[1]);
    assert.deepEqual(h.raw, want, JSON.stringify(raw));
  }
});

test("add appends even when the name is there", () => {
  const h = new HeaderList(["X-A", "1"]);
  h.add("x-a", "2");
  assert.deepEqual(h.raw, ["X-A", "1", "x-a", "2"]);
});
