// Service log files under <state_dir>/logs/: every line of a fast writer arrives, in order,
// with berth's own events; rotation keeps each file under its limit and drops the oldest.
import assert from "node:assert/strict";
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { berthSays, eventually, fixture, withBerth } from "../support/berth-process.js";

const LINES = 20_000;
/** `<time> chatty#1 stdout line 17 xxx…`: the number of each of chatty.mjs's lines, in file order. */
const NUMBERED = /^\S+ chatty#1 stdout line (\d+) x{60}$/;

function read(path: string): string {
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}

/** Whether the file's last line is chatty.mjs's "done" (reads only the end: the file is large). */
function endsWithDone(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return false; // not there yet, or rotated away between two looks
  }
  try {
    const size = statSync(path).size;
    const tail = Buffer.alloc(Math.min(size, 256));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    return tail.toString("utf8").endsWith(" chatty#1 stdout done\n");
  } finally {
    closeSync(fd);
  }
}

function numbersIn(text: string): number[] {
  return text
    .split("\n")
    .map((line) => NUMBERED.exec(line)?.[1])
    .filter((n) => n !== undefined)
    .map(Number);
}

/** Asserts that `numbers` is from, from+1, …, to; names the first place it is not. */
function assertConsecutive(numbers: number[], from: number, to: number): void {
  const wrong = numbers.findIndex((n, i) => n !== from + i);
  assert.equal(wrong, -1, `line ${from + wrong} expected at position ${wrong}, found line ${numbers[wrong]}`);
  assert.equal(numbers.length, to - from + 1, `${numbers.length} lines, expected ${from}…${to}`);
}

test(
  `all ${LINES} lines of a fast writer reach its log file, in order, with berth's events`,
  { timeout: 60_000 },
  () =>
    withBerth(
      `
services:
  chatty:
    command: ${fixture("chatty.mjs", LINES)}
`,
      async (berth, dir) => {
        const log = join(dir, ".berth", "logs", "chatty.log");
        await eventually(() => endsWithDone(log), "done at the end of chatty.log", 30_000);
        const text = read(log);
        assertConsecutive(numbersIn(text), 1, LINES);
        // Nothing but chatty's lines and berth's events: nothing dropped, nothing cut.
        const other = text.split("\n").filter((l) => l && !NUMBERED.test(l));
        assert.equal(other.length, 4, other.join("\n"));
        // Each run of berth begins with a line of its own, so runs in one file are told apart.
        assert.match(other[0]!, /^\S+ berth berth started \(pid \d+, run [0-9a-f]+\)$/);
        assert.match(other[1]!, /^\S+ chatty#1 berth started \(pid \d+\)$/);
        assert.match(other[2]!, /^\S+ chatty#1 berth ready in \S+$/);
        assert.match(other[3]!, /^\S+ chatty#1 stdout done$/);

        berth.signal("SIGTERM");
        await berth.waitFor(berthSays("chatty#1", "stopped by SIGTERM"));
        await berth.waitForExit();
        // Written before berth exited.
        const after = read(log);
        assert.match(after, /^\S+ chatty#1 berth sending SIGTERM$/m);
        assert.match(after, /^\S+ chatty#1 berth stopped by SIGTERM after \S+$/m);
      },
    ),
);

test(
  "with max_size and keep, files rotate: none past the limit by more than a line, the oldest dropped",
  { timeout: 60_000 },
  () =>
    withBerth(
      `
services:
  chatty:
    command: ${fixture("chatty.mjs", LINES)}
    logs: { max_size: 200KiB, keep: 2 }
`,
      async (_berth, dir) => {
        const log = join(dir, ".berth", "logs", "chatty.log");
        await eventually(() => endsWithDone(log), "done at the end of chatty.log", 30_000);
        const limit = 200 * 1024;
        const files = [`${log}.2`, `${log}.1`, log];
        for (const file of files) assert.ok(existsSync(file), `${file} exists`);
        assert.ok(!existsSync(`${log}.3`), "keep: 2 keeps two rotated files");

        for (const file of files) {
          const text = read(file);
          const longest = Math.max(...text.split("\n").map((l) => Buffer.byteLength(l) + 1));
          const size = statSync(file).size;
          assert.ok(
            size <= limit + longest,
            `${file}: ${size} bytes, the limit is ${limit} (+ a line of ${longest})`,
          );
          // A rotated file was full: rotation happens at the limit, not before.
          if (file !== log) assert.ok(size > limit - longest, `${file}: only ${size} bytes before rotating`);
        }
        // Oldest to newest, the kept files hold the last lines, consecutive, ending with the last one.
        const numbers = files.flatMap((file) => numbersIn(read(file)));
        assert.ok(numbers[0]! > 1, "the oldest lines were dropped");
        assertConsecutive(numbers, numbers[0]!, LINES);
      },
    ),
);
