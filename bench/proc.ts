// Reading a process's CPU time, memory and identity from /proc (Linux).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

export interface ProcStat {
  /** R, S, D, Z, … */
  state: string;
  /** CPU time in clock ticks, all threads: user + system. */
  cpuTicks: number;
  /** Start time since boot, in clock ticks: with the pid, identifies the process. */
  startTime: string;
}

/** /proc/<pid>/stat; undefined once the process is gone. */
export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields from the last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); utime is field 14, stime 15, starttime 22.
  return {
    state: fields[0] ?? "?",
    cpuTicks: Number(fields[11]) + Number(fields[12]),
    startTime: fields[19] ?? "",
  };
}

/**
 * From /proc/<pid>/status, in KiB: VmRSS, VmHWM (its peak) and RssAnon (the part that is the
 * process's own memory, not pages of mapped files such as the node binary, shared with others).
 */
export function readMemory(pid: number): { rssKiB: number; peakKiB: number; anonKiB: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? Number.NaN);
  return { rssKiB: field("VmRSS"), peakKiB: field("VmHWM"), anonKiB: field("RssAnon") };
}

let ticks: number | undefined;

/** USER_HZ: the unit of the CPU times in /proc/<pid>/stat. */
export function clockTicksPerSecond(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** A process seen once, by pid and start time, so a reused pid is never taken for it. */
export interface ProcessIdentity {
  pid: number;
  startTime: string;
}

export function identify(pid: number): ProcessIdentity | undefined {
  const stat = readStat(pid);
  return stat ? { pid, startTime: stat.startTime } : undefined;
}

/** Still running (a zombie has ended: it only waits to be reaped). */
export function isRunning(who: ProcessIdentity): boolean {
  const stat = readStat(who.pid);
  return stat !== undefined && stat.startTime === who.startTime && stat.state !== "Z";
}

/** Signals the process only if it is still the one identified. */
export function signalIfRunning(who: ProcessIdentity, signal: NodeJS.Signals): boolean {
  if (!isRunning(who)) return false;
  try {
    process.kill(who.pid, signal);
    return true;
  } catch {
    return false;
  }
}
