import assert from "node:assert/strict";
import { test } from "node:test";
import { jsonLines } from "./json-lines.js";

async function collect(chunks: (string | Buffer)[]): Promise<unknown[]> {
  const out: unknown[] = [];
  async function* source() {
    yield* chunks;
  }
  for await (const item of jsonLines(source())) out.push(item);
  return out;
}

test("jsonLines: objects split across chunks, \\r\\n endings, blank lines, and a last line with no newline", async () => {
  assert.deepEqual(
    await collect(['{"stream":"Step 1/2\\n"}\r', '\n\n{"aux":', '{"ID":"sha256:ab"}}\n{"a":1}']),
    [{ stream: "Step 1/2\n" }, { aux: { ID: "sha256:ab" } }, { a: 1 }],
  );
});

test("jsonLines: a UTF-8 character cut between two chunks is decoded whole", async () => {
  const bytes = Buffer.from('{"s":"é€"}\n');
  assert.deepEqual(await collect([bytes.subarray(0, 7), bytes.subarray(7)]), [{ s: "é€" }]);
});

test("jsonLines: a line that is not JSON throws, quoting it", async () => {
  await assert.rejects(collect(['{"ok":1}\n', "oops\n"]), /a line is not JSON: oops/);
});
