// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is berth's own syntax, written literally here.
import assert from "node:assert/strict";
import { test } from "node:test";
import { expandEnv, expandVars, referencedVars, splitCommand } from "./expand.js";

test("splitCommand splits on whitespace", () => {
  assert.deepEqual(splitCommand("  node  server.js\t--port 80 "), ["node", "server.js", "--port", "80"]);
  assert.deepEqual(splitCommand(""), []);
});

test("splitCommand keeps quoted text as one word, quotes removed", () => {
  assert.deepEqual(splitCommand(`echo 'a b' "c d" e'f'"g"`), ["echo", "a b", "c d", "efg"]);
});

test('splitCommand keeps an empty quoted word (redis --save "")', () => {
  assert.deepEqual(splitCommand(`redis-server --save ""`), ["redis-server", "--save", ""]);
  assert.deepEqual(splitCommand(`x ''`), ["x", ""]);
});

test('splitCommand: backslash escapes outside quotes, only \\" and \\\\ inside double quotes', () => {
  assert.deepEqual(splitCommand(String.raw`a\ b \'c`), ["a b", "'c"]);
  assert.deepEqual(splitCommand(String.raw`"say \"hi\" \\ \n"`), [String.raw`say "hi" \ \n`]);
  assert.deepEqual(splitCommand(String.raw`'no \escapes'`), [String.raw`no \escapes`]);
  assert.deepEqual(splitCommand("a \\\nb"), ["a", "b"]);
});

test("splitCommand treats shell operators and globs as plain words", () => {
  assert.deepEqual(splitCommand("a && b | c *.js >out"), ["a", "&&", "b", "|", "c", "*.js", ">out"]);
});

test("splitCommand throws a clear error for an unterminated quote", () => {
  assert.throws(() => splitCommand("echo 'hi"), /unterminated single quote/);
  assert.throws(() => splitCommand('echo "hi'), /unterminated double quote/);
  assert.throws(() => splitCommand("echo \\"), /lone backslash/);
});

test("splitCommand leaves ${VAR} for expansion after splitting", () => {
  assert.deepEqual(splitCommand('run --port ${PORT} "${A} ${B}"'), ["run", "--port", "${PORT}", "${A} ${B}"]);
});

test("expandVars replaces ${NAME} and turns $$ into $", () => {
  assert.equal(expandVars("--port=${PORT}", { PORT: "8080" }), "--port=8080");
  assert.equal(expandVars("$${PORT} costs $$5", { PORT: "1" }), "${PORT} costs $5");
  assert.equal(expandVars("${A}${B}", { A: "x", B: "" }), "x");
});

test("expandVars leaves a $ that starts no name alone (awk's $1, a trailing $)", () => {
  assert.equal(expandVars("{print $1} $ 5$", {}), "{print $1} $ 5$");
});

test("expandVars throws for an unset name", () => {
  assert.throws(() => expandVars("${NOPE}", {}), { message: "${NOPE} is not set" });
});

test("expandVars and referencedVars refuse malformed references", () => {
  for (const bad of ["$HOME", "${a-b}", "${", "${}", "${X:-1}"]) {
    assert.throws(() => expandVars(bad, { HOME: "/h", X: "1" }), Error, bad);
    assert.throws(() => referencedVars(bad), Error, bad);
  }
  assert.throws(() => referencedVars("$HOME"), /write \$\{HOME\}, or \$\$HOME/);
});

test("referencedVars lists names once, in order", () => {
  assert.deepEqual(referencedVars("${B}:${A}:${B}:$${C}"), ["B", "A"]);
  assert.deepEqual(referencedVars("plain"), []);
});

test("expandEnv lets entries refer to each other and to the base", () => {
  const env = expandEnv({ URL: "http://${HOST}:${PORT}/", HOST: "localhost" }, { PORT: "80" });
  assert.deepEqual(env, { URL: "http://localhost:80/", HOST: "localhost" });
});

test("expandEnv: an entry naming itself means berth's value (PATH: /x:${PATH})", () => {
  assert.deepEqual(expandEnv({ PATH: "/opt/bin:${PATH}" }, { PATH: "/usr/bin" }), {
    PATH: "/opt/bin:/usr/bin",
  });
});

test("expandEnv: a loop between entries falls back to the base instead of recursing", () => {
  // Each entry sees the others, and itself as berth's value: order of keys does not matter.
  assert.deepEqual(expandEnv({ A: "${B}", B: "${A}x" }, { A: "a0", B: "b0" }), { A: "a0x", B: "b0x" });
  assert.deepEqual(expandEnv({ B: "${A}x", A: "${B}" }, { A: "a0", B: "b0" }), { B: "b0x", A: "a0x" });
  assert.throws(() => expandEnv({ A: "${B}", B: "${A}" }, {}), /is not set/);
});
