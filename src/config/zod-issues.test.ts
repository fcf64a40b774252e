import assert from "node:assert/strict";
import { test } from "node:test";
import { writtenConfigSchema } from "./schema.js";
import { fromZodIssues, knownKeys } from "./zod-issues.js";

function issuesFor(data: unknown) {
  const parsed = writtenConfigSchema.safeParse(data);
  return parsed.success ? [] : fromZodIssues(parsed.error.issues, writtenConfigSchema, data);
}

test("knownKeys follows records, unions and lists down to an object's keys", () => {
  assert.deepEqual(knownKeys(writtenConfigSchema, []), ["services", "state_dir", "sites", "proxy"]);
  assert.deepEqual(knownKeys(writtenConfigSchema, ["services", "web", "stop"]), ["signal", "timeout"]);
  assert.deepEqual(knownKeys(writtenConfigSchema, ["services", "web", "stop", 0]), ["signal", "after"]);
  assert.deepEqual(knownKeys(writtenConfigSchema, ["services", "web", "ready"]), [
    "tcp",
    "http",
    "exec",
    "interval",
    "timeout",
  ]);
});

test("each unknown key is its own issue, at the key, with a suggestion", () => {
  const issues = issuesFor({ services: { web: { command: "x", prot: 1, zzz: 2 } } });
  assert.deepEqual(
    issues.map((i) => [i.path.join("."), i.message, i.at]),
    [
      ["services.web.prot", 'unknown key; did you mean "port"?', "key"],
      [
        "services.web.zzz",
        "unknown key; expected one of: command, image, cwd, env, replicas, port, depends_on, ready, restart, backoff, stop, drain_timeout, logs, publish, volumes, network, user, init, pull, labels, keep, adopt",
        "key",
      ],
    ],
  );
});

test("a misspelt required key is one issue, not also a missing one", () => {
  const issues = issuesFor({ services: { web: { comand: "x" } } });
  assert.deepEqual(
    issues.map((i) => i.message),
    ['unknown key; did you mean "command"?'],
  );
});

test("a failed union reports the branch the input was aiming at", () => {
  // A list for stop: is a ladder, so the ladder step's own error is the one worth reading.
  const issues = issuesFor({ services: { web: { command: "x", stop: [{ signal: "TERM", after: 5 }] } } });
  assert.equal(issues.length, 1);
  assert.deepEqual(issues[0]!.path, ["services", "web", "stop", 0, "after"]);
  assert.match(issues[0]!.message, /^expected a duration like "10s"/);
});

test("a union no branch fits reports what would be valid", () => {
  const issues = issuesFor({ services: { web: { command: "x", ready: "tcp" } } });
  assert.deepEqual(
    issues.map((i) => i.message),
    ['expected { tcp: true }, { http: "/path" }, { exec: … }, false or none'],
  );
});
