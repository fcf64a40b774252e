// Looking at processes through /proc, for tests that check what berth leaves behind.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Line } from "./berth-process.js";

/** The fields of /proc/<pid>/stat after the command name: [state, ppid, …]; undefined when gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: count from the last ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** "R", "S", "Z", …; undefined when there is no such process (not even a zombie). */
export function processState(pid: number): string | undefined {
  return statFields(pid)?.[0];
}

/**
 * The pids whose parent is `pid`. Reads /proc/<pid>/task/<tid>/children where the kernel has
 * it (CONFIG_PROC_CHILDREN), else looks at the parent pid of every process.
 */
export function childrenOf(pid: number): number[] {
  try {
    const tasks = readdirSync(`/proc/${pid}/task`);
    const files = tasks.map((tid) => `/proc/${pid}/task/${tid}/children`);
    if (files.length > 0 && files.every((f) => existsSync(f))) {
      return files.flatMap((f) => readFileSync(f, "utf8").trim().split(/\s+/).filter(Boolean).map(Number));
    }
  } catch {}
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((child) => statFields(child)?.[1] === String(pid));
}

/** berth's record of its run, <state dir>/run.json. */
export function readRunFile(stateDir: string): {
  runId: string;
  pid: number;
  watchdogPid?: number;
  cgroupDir?: string;
} {
  return JSON.parse(readFileSync(join(stateDir, "run.json"), "utf8"));
}

/** The number after `pid ` or `pid=` in a line of berth's output. */
export function pidIn(line: Line): number {
  const match = /\bpid[ =](\d+)/.exec(line.text);
  assert.ok(match, `no pid in: ${line.text}`);
  return Number(match[1]);
}

/** Asserts that `b` came between `min` and `max` ms after `a` (by arrival time). */
export function assertGap(a: Line, b: Line, min: number, max: number, what: string): number {
  const gap = b.at - a.at;
  if (process.env.BERTH_TEST_ECHO) process.stderr.write(`  ${what}: ${gap.toFixed(1)} ms\n`);
  assert.ok(
    gap >= min && gap <= max,
    `${what}: ${gap.toFixed(0)} ms, expected ${min}–${max} ms\n  ${a.text}\n  ${b.text}`,
  );
  return gap;
}

/** A duration as berth prints it ("1.004s", "350.2ms", "0") in milliseconds. */
export function parseShownDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(text);
  if (text === "0") return 0;
  assert.ok(match, `not a duration berth prints: ${text}`);
  return Number(match[1]) * (match[2] === "s" ? 1000 : 1);
}
