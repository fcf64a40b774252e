import assert from "node:assert/strict";
import { mkdtemp, readFile, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ExecProbe } from "./exec-probe.js";
import type { ProbeTarget } from "./probe.js";

const node = process.execPath;
const target: ProbeTarget = { host: "127.0.0.1", cwd: "/", env: {} };
const noAbort = () => new AbortController().signal;

/** Alive and not a zombie: a killed orphan may wait a while for a reaper. */
async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

test("passes when the command exits 0", async () => {
  assert.deepEqual(await new ExecProbe([node, "-e", "process.exit(0)"]).run(target, noAbort()), { ok: true });
});

test("fails with the exit code", async () => {
  assert.deepEqual(await new ExecProbe([node, "-e", "process.exit(3)"]).run(target, noAbort()), {
    ok: false,
    reason: "exit code 3",
  });
});

test("runs in the target's cwd with the target's env", async () => {
  const dir = await realpath(await mkdtemp(join(tmpdir(), "berth-exec-")));
  try {
    const probe = new ExecProbe([node, "-e", "process.exit(process.cwd() === process.env.WANT_CWD ? 0 : 1)"]);
    assert.deepEqual(await probe.run({ ...target, cwd: dir, env: { WANT_CWD: dir } }, noAbort()), {
      ok: true,
    });
    assert.deepEqual(await probe.run({ ...target, cwd: dir, env: { WANT_CWD: "/elsewhere" } }, noAbort()), {
      ok: false,
      reason: "exit code 1",
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("fails with the spawn error for a missing program", async () => {
  assert.deepEqual(await new ExecProbe(["/nonexistent/berth-probe"]).run(target, noAbort()), {
    ok: false,
    reason: "spawn /nonexistent/berth-probe ENOENT",
  });
});

test("an abort kills the command and what it started", async () => {
  const dir = await mkdtemp(join(tmpdir(), "berth-exec-"));
  const pidFile = join(dir, "pid");
  let grandchild: number | undefined;
  try {
    // A shell that starts a grandchild: killing only the shell would leave the grandchild running.
    const probe = new ExecProbe(["/bin/sh", "-c", `sleep 1000 & echo $! > ${pidFile}; wait`]);
    const controller = new AbortController();
    const running = probe.run(
      { ...target, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } },
      controller.signal,
    );
    grandchild = await waitFor("the pid file", async () => {
      const text = await readFile(pidFile, "utf8").catch(() => "");
      return text.endsWith("\n") ? Number(text.trim()) : undefined;
    });
    assert.equal(await isAlive(grandchild), true);
    controller.abort();
    assert.deepEqual(await running, { ok: false, reason: "aborted" });
    const pid = grandchild;
    await waitFor("the grandchild to die", async () => ((await isAlive(pid)) ? undefined : true));
  } finally {
    // Leave nothing running when the assertion above failed.
    if (grandchild !== undefined && (await isAlive(grandchild))) process.kill(grandchild, "SIGKILL");
    await rm(dir, { recursive: true, force: true });
  }
});
