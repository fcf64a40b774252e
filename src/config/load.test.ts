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

test("sites: are checked and normalized, and said not to be served yet", () => {
  const { config, issues } = parseConfigText(
    [
      "sites:",
      "  - listen: [8080, '[::1]:9090', 8080]",
      "    hosts: [Example.com, example.COM, '*.example.org']",
      "    default: true",
      "    trusted_proxies: [10.0.0.0/8, '::1']",
      "    routes:",
      "      - path: /api/",
      "        service: web",
      "        strip_prefix: true",
      "        headers: { request: { set: { X-Forwarded-Port: 80 } }, response: { remove: [Server] } }",
      "        timeouts: { connect: 1s }",
      "      - { path: /ext, url: 'http://10.0.0.2:8000', preserve_host: false }",
      "services:",
      "  web: { command: x, port: auto }",
      "",
    ].join("\n"),
    "/a/berth.yaml",
    { checkFiles: false },
  );
  assert.deepEqual(
    issues.map((i) => formatIssue(i, "/a")),
    [],
  );
  const site = config!.sites[0]!;
  const ops = { set: {}, add: {}, remove: [] };
  assert.deepEqual(
    { ...site, routes: [] },
    {
      listen: [
        { host: "0.0.0.0", port: 8080 },
        { host: "::", port: 8080 },
        { host: "::1", port: 9090 },
      ],
      hosts: ["example.com", "*.example.org"],
      isDefault: true,
      trustedProxies: ["10.0.0.0/8", "::1/128"],
      routes: [],
    },
  );
  assert.deepEqual(site.routes[0], {
    path: "/api",
    stripPrefix: true,
    upstream: { kind: "service", service: "web", balance: "round_robin" },
    preserveHost: true,
    requestHeaders: { ...ops, set: { "X-Forwarded-Port": "80" } },
    responseHeaders: { ...ops, remove: ["Server"] },
    timeouts: { connectMs: 1_000, responseHeaderMs: 60_000, idleMs: 60_000 },
  });
  const ext = site.routes[1]!;
  assert.equal(ext.upstream.kind === "url" && ext.upstream.url.href, "http://10.0.0.2:8000/");
  assert.equal(ext.preserveHost, false);
  assert.equal(ext.stripPrefix, false);
});

test("sites: route timeouts must be above 0", () => {
  const { config, issues } = parseConfigText(
    "sites:\n  - listen: 80\n    routes: [{ path: /, service: web, timeouts: { connect: 0, idle: 0 } }]\nservices:\n  web: { command: x, port: 1 }\n",
    "/a/berth.yaml",
    { checkFiles: false },
  );
  assert.equal(config, undefined);
  assert.deepEqual(
    issues.filter((i) => i.severity === "error").map((i) => `${i.path}: ${i.message}`),
    [
      'sites[0].routes[0].timeouts.connect: expected a duration above 0, like "5s"',
      'sites[0].routes[0].timeouts.idle: expected a duration above 0, like "5s"',
    ],
  );
});

test("no sites: an empty list", () => {
  const { config } = parseConfigText("services:\n  web: { command: x }\n", "/a/berth.yaml", {
    checkFiles: false,
  });
  assert.deepEqual(config!.sites, []);
});

test("an unreadable file below the working directory is named relative to it", async () => {
  const { issues } = await loadConfig(join(process.cwd(), "no-such-dir", "berth.yaml"));
  assert.equal(
    issues[0]!.message,
    `cannot read ${join("no-such-dir", "berth.yaml")}: ENOENT: no such file (pass -c PATH, or create berth.yaml)`,
  );
});
