import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CgroupTree } from "./runtime/cgroup-tree.js";
import type { ProcessSweeper } from "./runtime/process-sweeper.js";

interface RunFile {
  runId: string;
  pid: number;
  /** The kernel's start time of that pid, so a reused pid is not taken for berth. */
  pidStart: string;
  startedAt: string;
  /** The sh that kills this run's processes if berth dies (see watchdog.ts). */
  watchdogPid?: number;
  /** The run's cgroup, where berth could make one. */
  cgroupDir?: string;
}

export class AlreadyRunningError extends Error {
  override name = "AlreadyRunningError";
}

/**
 * What one `berth up` started, written to the state dir: if berth dies without cleaning
 * up (SIGKILL, power loss) the next `berth up` finds the previous run's processes by its
 * run id and stops them before starting anything.
 */
export class RunRecord {
  readonly runId = randomBytes(6).toString("hex");
  readonly #file: string;

  constructor(readonly stateDir: string) {
    this.#file = join(stateDir, "run.json");
  }

  /** Claims the state dir. Returns how many processes a previous, dead berth had left behind. */
  async claim(
    sweeper: ProcessSweeper,
    current: { watchdogPid?: number; cgroupDir?: string },
  ): Promise<{ leftovers: number; previous?: RunFile }> {
    await mkdir(this.stateDir, { recursive: true });
    const previous = await this.#read();
    if (previous && previous.pid !== process.pid && processStart(previous.pid) === previous.pidStart) {
      throw new AlreadyRunningError(
        `another berth (pid ${previous.pid}) is running with the state dir ${this.stateDir}; stop it first, or give this one another state_dir`,
      );
    }
    const leftovers = previous ? await this.#stopLeftovers(previous, sweeper) : 0;
    const record: RunFile = {
      runId: this.runId,
      pid: process.pid,
      pidStart: processStart(process.pid) ?? "",
      startedAt: new Date().toISOString(),
      ...current,
    };
    await writeFile(this.#file, `${JSON.stringify(record, null, 2)}\n`);
    return { leftovers, previous };
  }

  async #stopLeftovers(previous: RunFile, sweeper: ProcessSweeper): Promise<number> {
    const [inCgroup, marked] = await Promise.all([
      CgroupTree.existing(previous.cgroupDir).then((tree) => tree?.destroy() ?? []),
      sweeper.sweep((m) => m.startsWith(`${previous.runId}/`)),
    ]);
    return new Set([...inCgroup, ...marked]).size;
  }

  /** After a clean stop: nothing is left to find. */
  async release(): Promise<void> {
    const current = await this.#read();
    if (current?.runId === this.runId) await rm(this.#file, { force: true });
  }

  async #read(): Promise<RunFile | undefined> {
    try {
      return JSON.parse(await readFile(this.#file, "utf8")) as RunFile;
    } catch {
      return undefined;
    }
  }
}

/** Field 22 of /proc/<pid>/stat; undefined when the process does not exist. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: count from the last ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}
