import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { resolveExecutable, shebangInterpreter } from "./executable.js";
import { StartError } from "./runtime.js";

const dir = mkdtempSync(join(tmpdir(), "berth-executable-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** An executable file in the test's directory. */
function script(name: string, text: string, mode = 0o755): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

function startError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof StartError, String(error));
    return error.message;
  }
  assert.fail("no StartError");
}

test("a script whose interpreter does not exist is refused, naming the script and the interpreter", () => {
  script("missing-interp", "#!/no/such/interpreter -x\necho hi\n");
  assert.equal(
    startError(() => resolveExecutable("./missing-interp", dir, "/usr/bin:/bin")),
    '"./missing-interp" is a script for /no/such/interpreter, which does not exist or is not executable',
  );
  // Found through PATH: the same check.
  assert.equal(
    startError(() => resolveExecutable("missing-interp", "/", dir)),
    '"missing-interp" is a script for /no/such/interpreter, which does not exist or is not executable',
  );
});

test("an interpreter that exists but is not executable is refused too", () => {
  const interpreter = script("not-executable", "plain text\n", 0o644);
  script("uses-it", `#!${interpreter}\n`);
  assert.equal(
    startError(() => resolveExecutable("./uses-it", dir, undefined)),
    `"./uses-it" is a script for ${interpreter}, which does not exist or is not executable`,
  );
});

test("a #! line saved with Windows line endings says so", () => {
  script("crlf", "#!/bin/sh\r\necho hi\r\n");
  assert.equal(
    startError(() => resolveExecutable("./crlf", dir, undefined)),
    '"./crlf" is a script for "/bin/sh\\r", which does not exist or is not executable (its first line ends in \\r: save it with Unix line endings)',
  );
});

test("scripts with a working interpreter, and files without #!, resolve as before", () => {
  const sh = script("ok.sh", "#! /bin/sh -e\nexit 0\n");
  assert.equal(resolveExecutable("./ok.sh", dir, undefined), sh);
  const env = script("ok-env", "#!/usr/bin/env node\n");
  assert.equal(resolveExecutable("ok-env", "/", dir), env);
  const binary = script("no-shebang", "\x7fELF...");
  assert.equal(resolveExecutable("./no-shebang", dir, undefined), binary);
  // An interpreter relative to the working directory, as the kernel resolves it.
  script("interp", "#!/bin/sh\n");
  const relative = script("relative", "#!./interp\n");
  assert.equal(resolveExecutable("./relative", dir, undefined), relative);
});

test("shebangInterpreter reads the first word after #!, as the kernel does", () => {
  assert.equal(shebangInterpreter(script("a", "#!/bin/sh\n")), "/bin/sh");
  assert.equal(shebangInterpreter(script("b", "#! \t/usr/bin/python3 -u\n")), "/usr/bin/python3");
  assert.equal(shebangInterpreter(script("c", "#!\n")), undefined);
  assert.equal(shebangInterpreter(script("d", "echo no\n")), undefined);
  assert.equal(shebangInterpreter(join(dir, "does-not-exist")), undefined);
});

test("a path that cannot be run says why: missing, not executable, or a directory", () => {
  script("plain.sh", "#!/bin/sh\n", 0o644);
  assert.equal(
    startError(() => resolveExecutable("./plain.sh", dir, "/usr/bin:/bin")),
    '"./plain.sh" is not executable (chmod +x ./plain.sh)',
  );
  assert.equal(
    startError(() => resolveExecutable("./missing.sh", dir, "/usr/bin:/bin")),
    `"./missing.sh" does not exist (looked at ${join(dir, "missing.sh")})`,
  );
  assert.equal(
    startError(() => resolveExecutable(dir, "/", "/usr/bin:/bin")),
    `"${dir}" is a directory, not a program (looked at ${dir})`,
  );
  assert.equal(
    startError(() => resolveExecutable("./plain.sh/x", dir, "/usr/bin:/bin")),
    `"./plain.sh/x" does not exist: part of its path is not a directory (looked at ${join(dir, "plain.sh/x")})`,
  );
});
