import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import { listeningInodes, portHolder } from "./port-holder.js";
import { freePort } from "./ports.js";

/** A child process listening on port 0 of `host`; resolves with it and the port it printed. */
async function startListener(host: string) {
  const script = `require("net").createServer().listen(0, ${JSON.stringify(host)}, function () { console.log(this.address().port) })`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    let output = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      output += chunk;
      if (output.includes("\n")) resolve(Number(output.trim()));
    });
    child.once("exit", () => reject(new Error("the listener exited before printing its port")));
  });
  return { child, port };
}

async function stop(child: ReturnType<typeof spawn>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

test("finds the pid and command of a child process listening on 127.0.0.1", async () => {
  const { child, port } = await startListener("127.0.0.1");
  try {
    const holder = await portHolder(port);
    assert.equal(holder?.pid, child.pid);
    assert.ok(holder?.command.startsWith(process.execPath), holder?.command);
    assert.ok(holder?.command.includes("createServer"), holder?.command);
  } finally {
    await stop(child);
  }
});

test("finds a listener on ::1 (from /proc/net/tcp6)", async () => {
  const { child, port } = await startListener("::1");
  try {
    assert.equal((await portHolder(port))?.pid, child.pid);
  } finally {
    await stop(child);
  }
});

test("undefined when nobody listens on the port", async () => {
  assert.equal(await portHolder(await freePort()), undefined);
});

test("listeningInodes reads only LISTEN rows of the given port", () => {
  const table = [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 0100007F:0FA0 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0 100 0 0 10 0",
    "   1: 0100007F:0FA0 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0 20 4 30 10 -1",
    "   2: 00000000:0FA1 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1 0 100 0 0 10 0",
    "",
  ].join("\n");
  assert.deepEqual(listeningInodes(table, 4000), ["111"]);
  assert.deepEqual(listeningInodes(table, 4001), ["333"]);
  assert.deepEqual(listeningInodes(table, 4002), []);
});
