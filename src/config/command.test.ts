// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is berth's own syntax, written literally here.
import assert from "node:assert/strict";
import { test } from "node:test";
import { normalizeCommand } from "./command.js";
import type { PathIssue } from "./issue.js";

function command(written: string | string[]) {
  const issues: PathIssue[] = [];
  const argv = normalizeCommand(written, ["command"], issues);
  return { argv, issues: issues.map((i) => `${i.severity} ${i.path.join(".")}: ${i.message}`) };
}

test("a string is split into words; a list is taken as written", () => {
  assert.deepEqual(command("redis-server --port ${PORT} --save ''").argv, [
    "redis-server",
    "--port",
    "${PORT}",
    "--save",
    "",
  ]);
  assert.deepEqual(command(["sh", "-c", "a && b"]).argv, ["sh", "-c", "a && b"]);
});

test("an empty command or program name is an error", () => {
  assert.equal(command("   ").argv, undefined);
  assert.deepEqual(command(["", "x"]).issues, ["error command.0: the program name is empty"]);
});

test("shell operators in a string are a warning: berth runs no shell", () => {
  const { argv, issues } = command("make && make install");
  assert.deepEqual(argv, ["make", "&&", "make", "install"]);
  assert.equal(issues.length, 1);
  assert.match(issues[0]!, /^warning command: "&&" is passed to the program as an argument/);
});

test("every malformed ${…} is reported, at the word for a list", () => {
  const { argv, issues } = command(["run", "$HOME", "${a-b}"]);
  assert.equal(argv, undefined);
  assert.deepEqual(
    issues.map((i) => i.split(":")[0]),
    ["error command.1", "error command.2"],
  );
});
