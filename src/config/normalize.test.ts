import assert from "node:assert/strict";
import { test } from "node:test";
import type { PathIssue } from "./issue.js";
import { normalize } from "./normalize.js";
import { DEFAULT_PROXY } from "./proxy-settings.js";

function run(data: unknown, schemaIssues: PathIssue[] = []) {
  const issues: PathIssue[] = [];
  const result = normalize(data, schemaIssues, "/srv/app/berth.yaml", issues);
  return { result, issues };
}

test("every default, for a service with only a command", () => {
  const { result, issues } = run({ services: { web: { command: "node server.js" } } });
  assert.deepEqual(issues, []);
  assert.deepEqual(result!.config, {
    file: "/srv/app/berth.yaml",
    stateDir: "/srv/app/.berth",
    sites: [],
    proxy: DEFAULT_PROXY,
    services: [
      {
        name: "web",
        command: ["node", "server.js"],
        cwd: "/srv/app",
        env: {},
        replicas: 1,
        port: { kind: "none" },
        dependsOn: [],
        ready: { kind: "none" },
        restart: "always",
        backoff: { initialMs: 100, maxMs: 30_000, resetAfterMs: 10_000 },
        stop: {
          steps: [
            { signal: "SIGTERM", atMs: 0 },
            { signal: "SIGKILL", atMs: 10_000 },
          ],
        },
        drainTimeoutMs: 10_000,
        logs: { enabled: true, maxBytes: 10 * 1024 * 1024, keep: 3 },
      },
    ],
  });
});

test("paths are resolved against the config file's directory", () => {
  const { result } = run({ state_dir: "../state", services: { web: { command: "x", cwd: "sub/dir" } } });
  assert.equal(result!.config.stateDir, "/srv/state");
  assert.equal(result!.config.services[0]!.cwd, "/srv/app/sub/dir");
  const abs = run({ state_dir: "/var/lib/berth", services: { web: { command: "x", cwd: "/opt/web" } } });
  assert.equal(abs.result!.config.stateDir, "/var/lib/berth");
  assert.equal(abs.result!.config.services[0]!.cwd, "/opt/web");
});

test("env values become strings; ports, sizes and durations are converted", () => {
  const { result } = run({
    services: {
      web: {
        command: ["node"],
        env: { N: 5, B: false, S: "x" },
        port: 8080,
        logs: { max_size: "1MB", keep: 0 },
        backoff: { max: "1m" },
        depends_on: ["db", "db"],
        drain_timeout: "1.5s",
      },
      db: { command: "pg", port: "auto", logs: false, drain_timeout: 0 },
    },
  });
  const [web, db] = result!.config.services;
  assert.deepEqual(web!.env, { N: "5", B: "false", S: "x" });
  assert.deepEqual(web!.port, { kind: "fixed", port: 8080 });
  assert.deepEqual(web!.ready, { kind: "tcp", intervalMs: 100, timeoutMs: 1_000 });
  assert.deepEqual(web!.logs, { enabled: true, maxBytes: 1_000_000, keep: 0 });
  assert.equal(web!.backoff.maxMs, 60_000);
  assert.deepEqual(web!.dependsOn, ["db"]);
  assert.equal(web!.drainTimeoutMs, 1_500);
  assert.equal(db!.drainTimeoutMs, 0);
  assert.deepEqual(db!.port, { kind: "auto" });
  assert.equal(db!.logs.enabled, false);
});

test("keys that failed the schema are marked broken and keep their defaults", () => {
  const schemaIssue: PathIssue = { path: ["services", "web", "port"], message: "bad", severity: "error" };
  const { result } = run({ services: { web: { command: "x", port: "http" } } }, [schemaIssue]);
  const [web] = result!.services;
  assert.deepEqual(web!.config.port, { kind: "none" });
  assert.ok(web!.broken.has("port"));
});

test("a service that is not a map is skipped but its name still counts", () => {
  const schemaIssue: PathIssue = { path: ["services", "db"], message: "bad", severity: "error" };
  const { result } = run({ services: { web: { command: "x" }, db: null } }, [schemaIssue]);
  assert.deepEqual(
    result!.config.services.map((s) => s.name),
    ["web"],
  );
  assert.deepEqual(result!.names, ["web", "db"]);
});

test("backoff initial above max is an error on initial", () => {
  const { issues } = run({ services: { web: { command: "x", backoff: { initial: "1m" } } } });
  assert.deepEqual(
    issues.map((i) => [i.path.join("."), i.message]),
    [
      [
        "services.web.backoff.initial",
        "initial (1m) is longer than max (30s, the default); make initial ≤ max",
      ],
    ],
  );
});

test("backoff initial of 0 is an error: a crash loop would restart without pause", () => {
  for (const initial of [0, "0ms", "0.4ms"]) {
    const { result, issues } = run({ services: { web: { command: "x", backoff: { initial } } } });
    assert.deepEqual(
      issues.map((i) => [i.path.join("."), i.message]),
      [
        [
          "services.web.backoff.initial",
          'expected at least 1ms, like "100ms"; 0 would restart a crashing instance in a busy loop',
        ],
      ],
    );
    assert.ok(result!.services[0]!.broken.has("backoff"));
  }
  assert.deepEqual(run({ services: { web: { command: "x", backoff: { initial: "1ms" } } } }).issues, []);
});

test("proxy: defaults when absent; values, and the rules across its keys", () => {
  assert.deepEqual(run({ services: { web: { command: "x" } } }).result!.config.proxy, DEFAULT_PROXY);
  const written = {
    hold: { timeout: "5s", max_requests: 10, max_size: "1MiB" },
    client: { header_timeout: "2s", max_headers: 50 },
    access_log: false,
  };
  const { result, issues } = run({ proxy: written, services: { web: { command: "x" } } });
  assert.deepEqual(issues, []);
  const proxy = result!.config.proxy;
  assert.deepEqual(proxy.hold, { maxWaitMs: 5000, maxRequests: 10, maxBytes: 1024 * 1024 });
  assert.equal(proxy.client.headerTimeoutMs, 2000);
  assert.equal(proxy.client.maxHeaders, 50);
  assert.equal(proxy.client.requestTimeoutMs, DEFAULT_PROXY.client.requestTimeoutMs);
  assert.equal(proxy.accessLog, false);
  const bad = run({
    proxy: { client: { header_timeout: "10m", keepalive_timeout: 0, max_header_size: 100 } },
    services: { web: { command: "x" } },
  });
  assert.deepEqual(
    bad.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
    [
      'proxy.client.keepalive_timeout: expected a duration above 0, like "10s"',
      "proxy.client.header_timeout: must not be longer than request_timeout (5m): the head is part of the request",
      'proxy.client.max_header_size: expected at least 1KiB: browsers send heads of several hundred bytes; "16KiB" is usual',
    ],
  );
});

test("nothing to normalize without a services map", () => {
  assert.equal(run({}).result, undefined);
  assert.equal(run("text").result, undefined);
});
