import assert from "node:assert/strict";
import { test } from "node:test";
import { ExecProbe } from "./exec-probe.js";
import { HttpProbe } from "./http-probe.js";
import { createProbe } from "./probe.js";
import { TcpProbe } from "./tcp-probe.js";

test("createProbe picks the probe for each kind, none for kind none", () => {
  assert.ok(createProbe({ kind: "tcp", intervalMs: 1, timeoutMs: 1 }) instanceof TcpProbe);
  assert.ok(createProbe({ kind: "http", path: "/h", intervalMs: 1, timeoutMs: 1 }) instanceof HttpProbe);
  assert.ok(createProbe({ kind: "exec", argv: ["true"], intervalMs: 1, timeoutMs: 1 }) instanceof ExecProbe);
  assert.equal(createProbe({ kind: "none" }), undefined);
});
