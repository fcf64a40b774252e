import assert from "node:assert/strict";
import { test } from "node:test";
import type { HeaderOps } from "../../config/config.js";
import { applyForwarded } from "./forwarded.js";
import { HeaderList } from "./header-list.js";
import { applyHeaderOps, prepareHeaderOps } from "./user-headers.js";

interface Case {
  name: string;
  ops: Partial<HeaderOps>;
  raw: string[];
  want: string[];
}

const cases: Case[] = [
  {
    name: "no ops: untouched",
    ops: {},
    raw: ["A", "1"],
    want: ["A", "1"],
  },
  {
    name: "remove matches any case and every occurrence",
    ops: { remove: ["x-foo", "SERVER"] },
    raw: ["X-Foo", "1", "A", "2", "x-FOO", "3", "Server", "nginx"],
    want: ["A", "2"],
  },
  {
    name: "set replaces (one field, user's spelling, first position) or appends",
    ops: { set: { "X-Forwarded-Port": "80", "X-New": "n" } },
    raw: ["x-forwarded-port", "8080", "A", "1", "X-FORWARDED-PORT", "9"],
    want: ["X-Forwarded-Port", "80", "A", "1", "X-New", "n"],
  },
  {
    name: "add keeps what is there",
    ops: { add: { Vary: "Origin" } },
    raw: ["Vary", "Accept"],
    want: ["Vary", "Accept", "Vary", "Origin"],
  },
  {
    name: "order is remove, then set, then add, whatever the object order",
    ops: { add: { "X-A": "added" }, set: { "X-A": "set" }, remove: ["x-a"] },
    raw: ["X-A", "old", "X-A", "older"],
    want: ["X-A", "set", "X-A", "added"],
  },
];

for (const c of cases) {
  test(`user headers: ${c.name}`, () => {
    const ops = prepareHeaderOps({ set: {}, add: {}, remove: [], ...c.ops });
    const h = new HeaderList([...c.raw]);
    applyHeaderOps(h, ops);
    assert.deepEqual(h.raw, c.want);
  });
}

test("the Apache setup's `set X-Forwarded-Port 80` wins over the forwarded pass's default", () => {
  const h = new HeaderList(["Host", "example.com:8080"]);
  applyForwarded(h, {
    peerAddress: "203.0.113.7",
    localPort: 8080,
    tls: false,
    host: "example.com:8080",
    trusted: false,
    requestId: "r",
  });
  assert.equal(h.get("x-forwarded-port"), "8080");
  applyHeaderOps(h, prepareHeaderOps({ set: { "X-Forwarded-Port": "80" }, add: {}, remove: [] }));
  assert.equal(h.joined("x-forwarded-port"), "80");
});

test("prepareHeaderOps marks empty ops so the pass returns at once", () => {
  assert.equal(prepareHeaderOps({ set: {}, add: {}, remove: [] }).empty, true);
  assert.equal(prepareHeaderOps({ set: {}, add: {}, remove: ["a"] }).empty, false);
});
