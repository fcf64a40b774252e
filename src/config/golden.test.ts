// Golden tests: each test/golden/config/NAME.yaml is loaded and its formatted issues compared,
// line for line, with NAME.expected. The exact text is the point: these are the messages users
// read. Run with BERTH_UPDATE_GOLDEN=1 to rewrite the expected files, then review the diff.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { formatIssue, parseConfigText } from "./load.js";

const dir = fileURLToPath(new URL("../../test/golden/config/", import.meta.url));
const update = process.env.BERTH_UPDATE_GOLDEN === "1";
// A fixed environment, so a ${VAR} warning does not depend on the machine running the tests.
// Its PATH finds sh, and the node running the tests wherever it is installed; messages show it
// as <PATH>, like the golden directory as <golden>, so expected files do not depend on the machine.
const PATH = [...new Set(["/usr/bin", "/bin", dirname(process.execPath)])].join(":");
const env = { PATH, HOME: "/home/golden" };

const cases = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

test("golden cases exist", () => {
  assert.ok(cases.length > 0, `no .yaml files in ${dir}`);
});

for (const yamlFile of cases) {
  const name = yamlFile.slice(0, -".yaml".length);
  test(`golden config: ${name}`, () => {
    const file = join(dir, yamlFile);
    const result = parseConfigText(readFileSync(file, "utf8"), file, { env });
    const actual = result.issues
      .map((i) =>
        formatIssue(i, dir).replaceAll(dir.slice(0, -1), "<golden>").replaceAll(`(${PATH})`, "(<PATH>)"),
      )
      .map((line) => `${line}\n`)
      .join("");
    const expectedFile = join(dir, `${name}.expected`);
    if (update) {
      writeFileSync(expectedFile, actual);
    } else {
      assert.ok(
        existsSync(expectedFile),
        `${expectedFile} is missing; run with BERTH_UPDATE_GOLDEN=1 to create it`,
      );
      assert.equal(actual, readFileSync(expectedFile, "utf8"));
    }
    // The contract of parseConfigText: a config exactly when nothing is an error.
    const hasError = result.issues.some((i) => i.severity === "error");
    assert.equal(result.config !== undefined, !hasError);
  });
}
