// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is berth's own syntax, written literally here.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { test } from "node:test";
import { formatIssue, loadConfig, parseConfigText } from "./load.js";

async function inTempDir(fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), "berth-config-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("loadConfig reads a file into a Config with absolute paths", async () => {
  await inTempDir(async (dir) => {
    const file = join(dir, "berth.yaml");
    await writeFile(file, "services:\n  web:\n    command: node server.js\n");
    const { config, issues } = await loadConfig(relative(process.cwd(), file));
    assert.deepEqual(issues, []);
    assert.equal(config?.file, file);
    assert.equal(config?.stateDir, join(dir, ".berth"));
    assert.equal(config?.services[0]?.cwd, dir);
  });
});

test("a missing file is one issue that names it and says what to do", async () => {
  await inTempDir(async (dir) => {
    const file = join(dir, "berth.yaml");
    const { config, issues } = await loadConfig(file);
    assert.equal(config, undefined);
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.line, 0);
    assert.equal(
      formatIssue(issues[0]!),
      `cannot read ${file}: ENOENT: no such file (pass -c PATH, or create berth.yaml)`,
    );
  });
});

test("a directory is one issue suggesting the file inside it", async () => {
  await inTempDir(async (dir) => {
    const { config, issues } = await loadConfig(dir);
    assert.equal(config, undefined);
    assert.deepEqual(
      issues.map((i) => i.message),
      [
        `cannot read ${dir}: EISDIR: it is a directory (pass the file itself, like -c ${join(dir, "berth.yaml")})`,
      ],
    );
  });
});

test("config is present exactly when no issue is an error", () => {
  const warned = parseConfigText(
    "services:\n  web: { command: 'x ${NOT_SET_ANYWHERE}' }\n",
    "/a/berth.yaml",
    { env: {}, checkFiles: false },
  );
  assert.equal(warned.issues.length, 1);
  assert.equal(warned.issues[0]!.severity, "warning");
  assert.ok(warned.config);

  const failed = parseConfigText("services:\n  web: { command: x, replicas: 0 }\n", "/a/berth.yaml", {
    checkFiles: false,
  });
  assert.equal(failed.config, undefined);
  assert.equal(failed.issues[0]!.severity, "error");
});

test("all problems come back at once, in file order, each located", () => {
  const text = [
    "services:",
    "  web:",
    "    command: x",
    "    stop: { timeout: 5 }",
    "    depends_on: [nope]",
    "  api:",
    "    command: y",
    "    restart: sometimes",
    "",
  ].join("\n");
  const { issues } = parseConfigText(text, "/a/berth.yaml", { checkFiles: false });
  assert.deepEqual(
    issues.map((i) => `${i.line}:${i.col} ${i.path}`),
    ["4:22 services.web.stop.timeout", "5:18 services.web.depends_on[0]", "8:14 services.api.restart"],
  );
});

test("YAML syntax errors are reported with their position, and stop there", () => {
  const { config, issues } = parseConfigText("services:\n  web: [oops\n", "/a/berth.yaml");
  assert.equal(config, undefined);
  assert.ok(issues.length >= 1);
  assert.ok(issues.every((i) => i.message.startsWith("invalid YAML: ") && i.line > 0));
});

test("an empty file has no services", () => {
  const { issues } = parseConfigText("", "/a/berth.yaml");
  assert.deepEqual(
    issues.map((i) => formatIssue(i, "/a")),
    ["berth.yaml:1:1 no services defined; add a services: map (see docs/config.md)"],
  );
});

test("sites: is accepted and ignored for now, with a warning", () => {
  const { config, issues } = parseConfigText(
    "sites:\n  - { listen: 8080, anything: [goes] }\nservices:\n  web: { command: x }\n",
    "/a/berth.yaml",
    { checkFiles: false },
  );
  assert.deepEqual(
    issues.map((i) => formatIssue(i, "/a")),
    [
      "berth.yaml:1:1 warning: sites: sites are not served yet: the proxy comes in a later version of berth; this key is ignored",
    ],
  );
  assert.ok(config);
});

test("an unreadable file below the working directory is named relative to it", async () => {
  const { issues } = await loadConfig(join(process.cwd(), "no-such-dir", "berth.yaml"));
  assert.equal(
    issues[0]!.message,
    `cannot read ${join("no-such-dir", "berth.yaml")}: ENOENT: no such file (pass -c PATH, or create berth.yaml)`,
  );
});
