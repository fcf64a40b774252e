import assert from "node:assert/strict";
import { test } from "node:test";
import { findCycles } from "./dependency-graph.js";

const graph = (o: Record<string, string[]>) => ({ order: Object.keys(o), edges: new Map(Object.entries(o)) });

test("no cycles in a tree or a diamond", () => {
  const { order, edges } = graph({ web: ["api", "cache"], api: ["db"], cache: ["db"], db: [] });
  assert.deepEqual(findCycles(order, edges), []);
});

test("a cycle of three, from its first-written member", () => {
  const { order, edges } = graph({ worker: ["db"], web: ["api"], api: ["db"], db: ["web"] });
  assert.deepEqual(findCycles(order, edges), [["web", "api", "db"]]);
});

test("one cycle per group, the shortest through its first member", () => {
  const { order, edges } = graph({ a: ["b", "c"], b: ["c"], c: ["a"], x: ["y"], y: ["x"] });
  assert.deepEqual(findCycles(order, edges), [
    ["a", "c"],
    ["x", "y"],
  ]);
});

test("self-edges and edges to unknown services are not cycles here", () => {
  const { order, edges } = graph({ a: ["a", "missing"] });
  assert.deepEqual(findCycles(order, edges), []);
});
