import assert from "node:assert/strict";
import { test } from "node:test";
import { parseYaml } from "./yaml-source.js";

const text = [
  "services:", //                              1
  "  web:", //                                 2
  "    command: node server.js", //            3
  "    stop: { signal: TERM, timeout: 5 }", // 4
  "    depends_on:", //                        5
  "      - db", //                             6
  "      - cache", //                          7
  "    ready:", //                             8
  "      http: /x", //                         9
  "  db:", //                                  10
  "", //                                       11
].join("\n");

test("locate finds a scalar value where it was written", () => {
  const src = parseYaml(text);
  assert.deepEqual(src.locate(["services", "web", "command"]), { line: 3, col: 14 });
  assert.deepEqual(src.locate(["services", "web", "stop", "timeout"]), { line: 4, col: 36 });
  assert.deepEqual(src.locate(["services", "web", "depends_on", 1]), { line: 7, col: 9 });
});

test("locate points a block map or list at the key that holds it", () => {
  const src = parseYaml(text);
  assert.deepEqual(src.locate(["services", "web", "ready"]), { line: 8, col: 5 });
  assert.deepEqual(src.locate(["services", "web"]), { line: 2, col: 3 });
});

test("locate points a flow map at its opening brace", () => {
  assert.deepEqual(parseYaml(text).locate(["services", "web", "stop"]), { line: 4, col: 11 });
});

test("locate points a missing key at its parent's key, an empty value at its key", () => {
  const src = parseYaml(text);
  assert.deepEqual(src.locate(["services", "web", "cwd"]), { line: 2, col: 3 });
  assert.deepEqual(src.locate(["services", "web", "ready", "interval"]), { line: 8, col: 5 });
  assert.deepEqual(src.locate(["services", "db"]), { line: 10, col: 3 });
});

test("locate with at=key points at the key, not its value", () => {
  assert.deepEqual(parseYaml(text).locate(["services", "web", "command"], "key"), { line: 3, col: 5 });
});

test("syntax errors are issues with a position, and leave no data", () => {
  const src = parseYaml("a: 1\na: 2\n");
  assert.equal(src.data, undefined);
  assert.equal(src.issues.length, 1);
  assert.match(src.issues[0]!.message, /^invalid YAML: this key appears twice/);
  assert.deepEqual(src.positions.get(src.issues[0]!), { line: 2, col: 1 });
});

test("merge keys are resolved in the data", () => {
  const src = parseYaml("a: &x { p: 1 }\nb:\n  <<: *x\n  q: 2\n");
  assert.deepEqual(src.data, { a: { p: 1 }, b: { p: 1, q: 2 } });
});

test("an empty document is null data, not an error", () => {
  const src = parseYaml("# only a comment\n");
  assert.equal(src.data, null);
  assert.deepEqual(src.issues, []);
});
