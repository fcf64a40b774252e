// What berth does with input it cannot run: a missing program or a taken port fails that one
// service (with a message saying why) while the rest runs; a broken file starts nothing.
import assert from "node:assert/strict";
import { once } from "node:events";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import {
  BerthProcess,
  berthSays,
  escapeRegExp,
  fixture,
  withBerth,
  writeConfig,
} from "../support/berth-process.js";

test(
  "a program that does not exist fails its service, which backs off; the others run",
  { timeout: 30_000 },
  () =>
    withBerth(
      `
services:
  bad:
    command: no-such-program-berth-test --flag
    backoff: { initial: 100ms, max: 200ms }
  good:
    command: ${fixture("stays-up.mjs")}
    port: auto
`,
      async (berth) => {
        const failed = await berth.waitFor(
          berthSays("bad#1", 'starting bad#1: executable "no-such-program-berth-test" not found in PATH'),
        );
        await berth.waitFor(berthSays("bad#1", "restarting in 100ms "), { after: failed });
        const ready = await berth.waitFor(berthSays("good#1", "ready in "));
        // bad keeps trying after that (its reason is spelled out once), and good stays up meanwhile.
        await berth.waitForNth(berthSays("bad#1", "failed to start again, for the same reason$"), 2, {
          after: ready,
        });
        assert.equal(berth.matching(berthSays("bad#1", "starting bad#1: executable")).length, 1);
        assert.equal(berth.matching(berthSays("bad#1", "started")).length, 0, "bad never started");
        assert.equal(
          berth.matching(/^good#1 .*\[berth\] (exited|killed|stopped|restarting)/).length,
          0,
          berth.output,
        );
        assert.equal(berth.exitedAt, undefined, "berth keeps running");
      },
    ),
);

test("a fixed port already in use: the message names the pid holding it, and the service starts once it is free", {
  timeout: 30_000,
}, async () => {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  try {
    await withBerth(
      `
services:
  web:
    command: ${fixture("stays-up.mjs")}
    port: ${port}
    backoff: { initial: 200ms, max: 200ms }
`,
      async (berth) => {
        const failed = await berth.waitFor(
          berthSays("web#1", `starting web#1: port ${port} is already in use`),
        );
        assert.match(
          failed.text,
          new RegExp(`in use by pid ${process.pid} \\(`),
          "names this test's process",
        );
        await berth.waitFor(berthSays("web#1", "restarting in 200ms"), { after: failed });
        assert.equal(
          berth.matching(berthSays("web#1", "started")).length,
          0,
          "nothing started on a taken port",
        );

        server.close();
        await once(server, "close");
        await berth.waitFor(berthSays("web#1", `started \\(pid \\d+, port ${port}\\)`), { after: failed });
        await berth.waitFor(berthSays("web#1", "ready in "));
      },
    );
  } finally {
    server.close();
  }
});

const BROKEN = `services:
  web:
    command: ${fixture("stays-up.mjs")}
    restart: sometimes
    stop: { timeout: 10 }
  worker:
    command: ${fixture("stays-up.mjs")}
    depends_on: [web, nosuch]
`;

test("berth check on a broken file exits 2 and lists every problem as file:line:col path: message", {
  timeout: 30_000,
}, async () => {
  const { dir } = writeConfig(BROKEN);
  try {
    const { code, lines } = await BerthProcess.run(["check", "-c", "berth.yaml"], dir);
    assert.equal(code, 2);
    const issues = lines.map((l) => l.text).filter((t) => /^berth\.yaml:/.test(t));
    assert.deepEqual(issues, [
      'berth.yaml:4:14 services.web.restart: expected "always", "on-failure" or "never"',
      'berth.yaml:5:22 services.web.stop.timeout: expected a duration like "10s"; a bare number has no unit: write "10s" or "10ms"',
      'berth.yaml:8:23 services.worker.depends_on[1]: no service named "nosuch"; services are: web, worker',
    ]);
    assert.ok(
      lines.some((l) => l.text === "berth: 3 errors in berth.yaml"),
      lines.map((l) => l.text).join("\n"),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("berth up on a broken file exits 2 and starts nothing", { timeout: 30_000 }, async () => {
  const { dir, file } = writeConfig(BROKEN);
  const berth = BerthProcess.up(file);
  try {
    const { code } = await berth.waitForExit();
    assert.equal(code, 2);
    assert.match(berth.output, /^berth\.yaml:4:14 services\.web\.restart: /m);
    assert.doesNotMatch(berth.output, /\[berth\]/, "berth said nothing about services: none ran");
    assert.ok(!existsSync(join(dir, ".berth")), "no state dir: berth did not even claim one");
  } finally {
    await berth.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("berth up with a state dir it cannot create exits 1, says which and what to do, and starts nothing", {
  timeout: 30_000,
}, async () => {
  const { dir } = writeConfig(`
state_dir: blocker/state
services:
  web:
    command: ${fixture("stays-up.mjs")}
`);
  try {
    writeFileSync(join(dir, "blocker"), ""); // a file where a directory should be
    const { code, output } = await BerthProcess.run(["up", "-c", "berth.yaml"], dir);
    assert.equal(code, 1, output);
    const stateDir = join(dir, "blocker", "state");
    assert.match(
      output,
      new RegExp(
        `^berth: cannot use the state dir ${escapeRegExp(stateDir)}: \\S*(ENOTDIR|EEXIST)\\b.*; set state_dir in berth\\.yaml to a writable directory$`,
        "m",
      ),
    );
    assert.doesNotMatch(output, /starting berth:/);
    assert.doesNotMatch(output, /\[berth\] started/, "nothing was started");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
