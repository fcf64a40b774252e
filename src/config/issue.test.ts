import assert from "node:assert/strict";
import { test } from "node:test";
import { type ConfigIssue, formatIssue, formatPath } from "./issue.js";

const issue: ConfigIssue = {
  file: "/srv/app/berth.yaml",
  line: 14,
  col: 5,
  path: "services.web.stop.timeout",
  message: 'expected a duration like "10s"',
  severity: "error",
};

test("formatIssue: file relative to cwd, line:col, path, message", () => {
  assert.equal(
    formatIssue(issue, "/srv/app"),
    'berth.yaml:14:5 services.web.stop.timeout: expected a duration like "10s"',
  );
  assert.equal(formatIssue(issue, "/srv/other").split(" ")[0], "../app/berth.yaml:14:5");
});

test("formatIssue puts warning: after the location", () => {
  assert.equal(
    formatIssue({ ...issue, severity: "warning", message: "hm" }, "/srv/app"),
    "berth.yaml:14:5 warning: services.web.stop.timeout: hm",
  );
});

test("formatIssue: no path, no path prefix; line 0 (the whole file), no location", () => {
  assert.equal(
    formatIssue({ ...issue, path: "", message: "invalid YAML: x" }, "/srv/app"),
    "berth.yaml:14:5 invalid YAML: x",
  );
  assert.equal(
    formatIssue(
      { ...issue, line: 0, col: 0, path: "", message: "cannot read berth.yaml: ENOENT" },
      "/srv/app",
    ),
    "cannot read berth.yaml: ENOENT",
  );
});

test("formatPath: dots between keys, [i] for list items, odd keys quoted", () => {
  assert.equal(formatPath(["services", "web", "depends_on", 0]), "services.web.depends_on[0]");
  assert.equal(formatPath(["services", "web", "stop", 1, "after"]), "services.web.stop[1].after");
  assert.equal(formatPath(["services", "web", "env", "a.b"]), 'services.web.env["a.b"]');
  assert.equal(formatPath([]), "");
});
