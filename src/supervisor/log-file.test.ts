import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { logFileLine, RotatingLogFile } from "./log-file.js";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "berth-logfile-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** 29 characters, so 30 bytes with its newline. */
const numbered = (n: number) => `line ${String(n).padStart(2, "0")} ${".".repeat(21)}`;
const read = async (path: string) => (await readFile(path, "utf8")).split("\n").slice(0, -1);

test("rotates before a write would pass maxBytes, and keeps `keep` old files", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "web.log");
    // 90 = three lines exactly: a file may reach maxBytes, not pass it.
    const file = new RotatingLogFile(path, { maxBytes: 90, keep: 2 });
    for (let n = 1; n <= 10; n++) file.write(numbered(n));
    await file.close();
    assert.deepEqual((await readdir(dir)).sort(), ["web.log", "web.log.1", "web.log.2"]);
    assert.deepEqual(await read(path), [numbered(10)]);
    assert.deepEqual(await read(`${path}.1`), [numbered(7), numbered(8), numbered(9)]);
    assert.deepEqual(await read(`${path}.2`), [numbered(4), numbered(5), numbered(6)]);
  });
});

test("one byte less and each file holds two lines", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "web.log");
    const file = new RotatingLogFile(path, { maxBytes: 89, keep: 1 });
    for (let n = 1; n <= 5; n++) file.write(numbered(n));
    await file.close();
    assert.deepEqual((await readdir(dir)).sort(), ["web.log", "web.log.1"]);
    assert.deepEqual(await read(path), [numbered(5)]);
    assert.deepEqual(await read(`${path}.1`), [numbered(3), numbered(4)]);
  });
});

test("rotation also happens across separate flushes, counting what the file already held", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "web.log");
    await writeFile(path, `${numbered(0)}\n${numbered(0)}\n`);
    const file = new RotatingLogFile(path, { maxBytes: 90, keep: 3 });
    file.write(numbered(1));
    await file.flush();
    assert.deepEqual(await read(path), [numbered(0), numbered(0), numbered(1)]);
    file.write(numbered(2));
    await file.flush();
    assert.deepEqual(await read(path), [numbered(2)]);
    assert.deepEqual(await read(`${path}.1`), [numbered(0), numbered(0), numbered(1)]);
    await file.close();
  });
});

test("lines from two instances of one service share the file, in order, with time, instance and stream", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "logs", "nested", "web.log");
    const file = new RotatingLogFile(path, { maxBytes: 1024 * 1024, keep: 3 });
    const at = new Date("2026-11-30T01:02:03.456Z");
    file.write(logFileLine(at, "web#1", "stdout", "hello"));
    file.write(logFileLine(at, "web#2", "stderr", "oops"));
    file.write(logFileLine(at, "web#1", "stdout", "again"));
    await file.close();
    assert.deepEqual(await read(path), [
      "2026-11-30T01:02:03.456Z web#1 stdout hello",
      "2026-11-30T01:02:03.456Z web#2 stderr oops",
      "2026-11-30T01:02:03.456Z web#1 stdout again",
    ]);
  });
});

test("a disk that cannot keep up drops lines and says how many", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "web.log");
    const file = new RotatingLogFile(path, { maxBytes: 1024 * 1024, keep: 1, maxQueuedBytes: 90 });
    // Nothing reaches the disk before the first await, so the queue fills at once.
    for (let n = 1; n <= 10; n++) file.write(numbered(n));
    await file.flush();
    file.write(numbered(11));
    await file.close();
    const lines = await read(path);
    assert.deepEqual(lines.slice(0, 3), [numbered(1), numbered(2), numbered(3)]);
    assert.match(lines[3] ?? "", /^\d{4}-\d\d-\d\dT\S+Z \[berth\] 7 lines dropped: disk too slow$/);
    assert.deepEqual(lines.slice(4), [numbered(11)]);
  });
});

test("an unwritable path reports the error and does not throw; writes after close are ignored", async () => {
  await withDir(async (dir) => {
    await writeFile(join(dir, "not-a-dir"), "");
    const errors: Error[] = [];
    const file = new RotatingLogFile(join(dir, "not-a-dir", "web.log"), {
      maxBytes: 100,
      keep: 1,
      onError: (error) => errors.push(error),
    });
    file.write("lost");
    await file.flush();
    assert.equal(errors.length, 1);
    assert.match(errors[0]?.message ?? "", /ENOTDIR|EEXIST/);
    await file.close();
    await file.close();
    file.write("ignored");
    await file.flush();
    assert.equal(errors.length, 1);
  });
});

test("a failure is reported once, and again only after a write has succeeded in between", async () => {
  await withDir(async (dir) => {
    const logs = join(dir, "logs");
    await writeFile(logs, ""); // a file where the directory should be: open fails
    const errors: Error[] = [];
    // maxBytes below one line: every write after the first rotates, and so reopens the file.
    const file = new RotatingLogFile(join(logs, "web.log"), {
      maxBytes: 10,
      keep: 1,
      onError: (error) => errors.push(error),
    });
    for (let n = 1; n <= 5; n++) {
      file.write(numbered(n));
      await file.flush();
    }
    assert.equal(errors.length, 1);

    await rm(logs);
    file.write(numbered(6));
    await file.flush();
    assert.deepEqual(await read(join(logs, "web.log")), [numbered(6)]);
    assert.equal(errors.length, 1);

    await rm(logs, { recursive: true });
    await writeFile(logs, "");
    for (let n = 7; n <= 9; n++) {
      file.write(numbered(n));
      await file.flush();
    }
    assert.equal(errors.length, 2);
    await file.close();
  });
});
