import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { CgroupTree } from "./cgroup-tree.js";

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

test("an instance's cgroup holds what it starts, even in a new session, and empty() kills it all", async (t) => {
  const tree = await CgroupTree.create(`test${process.pid}`);
  if (!tree) {
    t.skip("cgroup v2 is not writable here: berth falls back to process groups and its marker");
    return;
  }
  // A shell that, once told to, starts a grandchild in its own session, then waits.
  assert.equal(await tree.prepare("web#1"), true);
  const child = spawn("/bin/sh", ["-c", "read go; setsid sleep 300 & echo $!; wait"], {
    stdio: ["pipe", "pipe", "ignore"],
  });
  try {
    assert.equal(tree.place("web#1", child.pid!), true);
    assert.deepEqual(tree.members("web#1"), [child.pid]);
    child.stdin!.write("go\n");
    const grandchild = await new Promise<number>((resolve) =>
      child.stdout!.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
    );
    assert.ok(alive(grandchild), "the grandchild runs");
    const killed = await tree.empty("web#1");
    assert.ok(killed.includes(grandchild), `killed ${killed} includes the grandchild ${grandchild}`);
    assert.equal(alive(grandchild), false);
  } finally {
    child.kill("SIGKILL");
    await tree.destroy();
  }
  assert.equal(existsSync(tree.dir), false, "the run's cgroup is removed");
});
