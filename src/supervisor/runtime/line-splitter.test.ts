import assert from "node:assert/strict";
import { test } from "node:test";
import { LineSplitter } from "./line-splitter.js";

test("LineSplitter: lines across chunks, \\r\\n, empty lines, and a partial last line held until flush", () => {
  const splitter = new LineSplitter();
  assert.deepEqual(splitter.push(Buffer.from("one\r\ntw")), ["one"]);
  assert.deepEqual(splitter.push(Buffer.from("o\n\nthr")), ["two", ""]);
  assert.deepEqual(splitter.push(Buffer.from("ee\r")), []);
  assert.deepEqual(splitter.push(Buffer.from("\nfour")), ["three"]);
  assert.deepEqual(splitter.flush(), ["four"]);
  assert.deepEqual(splitter.flush(), []);
});

test("LineSplitter: a UTF-8 character split between chunks is decoded whole", () => {
  const bytes = Buffer.from("é€😀\n");
  const splitter = new LineSplitter();
  const out: string[] = [];
  for (const byte of bytes) out.push(...splitter.push(Buffer.from([byte])));
  assert.deepEqual(out, ["é€😀"]);
});

test("LineSplitter: a line longer than 64 KiB is cut, and nothing grows without bound", () => {
  const splitter = new LineSplitter();
  const out = splitter.push(Buffer.alloc(200 * 1024, "a"));
  assert.deepEqual(
    out.map((l) => l.length),
    [65536, 65536, 65536],
  );
  assert.deepEqual(
    splitter.push(Buffer.from("b\n")).map((l) => l.length),
    [8 * 1024 + 1],
  );
});

test("LineSplitter: a \\r\\n just past the limit is not cut into a line of its own", () => {
  const splitter = new LineSplitter(4);
  assert.deepEqual(splitter.push(Buffer.from("abcd\r")), []);
  assert.deepEqual(splitter.push(Buffer.from("\nxy\n")), ["abcd", "xy"]);
});

test("LineSplitter: a cut never splits a character", () => {
  const splitter = new LineSplitter(8);
  // "aaaaaaa€": the 3-byte € straddles the 8-byte limit, so it moves to the next piece.
  assert.deepEqual(splitter.push(Buffer.from("aaaaaaa€b\n")), ["aaaaaaa", "€b"]);
});
