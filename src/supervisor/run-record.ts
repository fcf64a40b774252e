import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { link, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
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

/** The state dir cannot be made or written; the message says where to change it. */
export class StateDirError extends Error {
  override name = "StateDirError";
}

/** A run.json that cannot be parsed and is younger than this may be one being written right now. */
const UNREADABLE_GRACE_MS = 5_000;

type Previous =
  | { kind: "none" }
  | { kind: "record"; text: string; record: RunFile }
  | { kind: "unreadable"; text: string; ageMs: number };

/**
 * What one `berth up` started, written to the state dir: if berth dies without cleaning
 * up (SIGKILL, power loss) the next `berth up` finds the previous run's processes by its
 * run id and stops them before starting anything. The file is also the state dir's lock:
 * it is only ever created exclusively (O_EXCL), so of two berths starting at once one wins.
 */
export class RunRecord {
  readonly runId = randomBytes(6).toString("hex");
  readonly #file: string;

  constructor(
    readonly stateDir: string,
    /** Named in errors: where state_dir can be changed. */
    private readonly configFile: string,
  ) {
    this.#file = join(stateDir, "run.json");
  }

  /** Claims the state dir. Returns how many processes a previous, dead berth had left behind. */
  async claim(
    sweeper: ProcessSweeper,
    current: { watchdogPid?: number; cgroupDir?: string },
  ): Promise<{ leftovers: number; previous?: RunFile }> {
    await this.#usable(() => mkdir(this.stateDir, { recursive: true }));
    const previous = await this.#read();
    let leftovers = 0;
    if (previous.kind === "record") {
      const { record } = previous;
      if (record.runId === this.runId) return { leftovers: 0 }; // claimed already
      // Alive, even in this very process: a second claim there is another claim all the same.
      if (processStart(record.pid) === record.pidStart) {
        throw new AlreadyRunningError(
          `another berth (pid ${record.pid}) is running with the state dir ${this.stateDir}; stop it first, or give this one another state_dir`,
        );
      }
      leftovers = await this.#stopLeftovers(record, sweeper);
    } else if (previous.kind === "unreadable" && previous.ageMs < UNREADABLE_GRACE_MS) {
      throw this.#startingNow();
    }
    if (previous.kind !== "none") await this.#removeStale(previous.text);

    const record: RunFile = {
      runId: this.runId,
      pid: process.pid,
      pidStart: processStart(process.pid) ?? "",
      startedAt: new Date().toISOString(),
      ...current,
    };
    try {
      await writeFile(this.#file, `${JSON.stringify(record, null, 2)}\n`, { flag: "wx" });
    } catch (error) {
      // Created since we looked: another berth is claiming the dir at this very moment.
      if ((error as NodeJS.ErrnoException).code === "EEXIST") throw this.#startingNow();
      throw this.#unusable(error);
    }
    return { leftovers, previous: previous.kind === "record" ? previous.record : undefined };
  }

  async #stopLeftovers(previous: RunFile, sweeper: ProcessSweeper): Promise<number> {
    const [inCgroup, marked] = await Promise.all([
      CgroupTree.existing(previous.cgroupDir).then((tree) => tree?.destroy() ?? []),
      sweeper.sweep((m) => m.startsWith(`${previous.runId}/`)),
    ]);
    return new Set([...inCgroup, ...marked]).size;
  }

  /**
   * Removes the dead run's record, and only it: another berth starting now may have replaced
   * it since it was read. Moving it aside is atomic, so what was moved can be checked; a record
   * that is not the stale one is put back and left to its berth. Limit: with three or more
   * berths starting within the same few milliseconds on a dir with a dead run's record, a third
   * may create its record while a second has moved the first's aside; the put-back then fails
   * and two berths run. Closing that needs a lock with its own recovery; two at once are safe.
   */
  async #removeStale(staleText: string): Promise<void> {
    const aside = `${this.#file}.${this.runId}.stale`;
    try {
      await rename(this.#file, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return; // another berth removed it
      throw this.#unusable(error);
    }
    const moved = await readFile(aside, "utf8").catch(() => undefined);
    if (moved !== staleText) await link(aside, this.#file).catch(() => {});
    await rm(aside, { force: true });
    if (moved !== staleText) throw this.#startingNow();
  }

  /** After a clean stop: nothing is left to find. */
  async release(): Promise<void> {
    // Unreadable now: nothing to remove that is known to be ours (the next berth sees it as stale).
    const current = await this.#read().catch(() => undefined);
    if (current?.kind === "record" && current.record.runId === this.runId)
      await rm(this.#file, { force: true });
  }

  async #read(): Promise<Previous> {
    let text: string;
    try {
      text = await readFile(this.#file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "none" };
      throw this.#unusable(error);
    }
    try {
      const record = JSON.parse(text) as RunFile;
      if (typeof record.runId === "string" && typeof record.pid === "number") {
        return { kind: "record", text, record };
      }
    } catch {}
    // Empty or cut short: a berth that crashed while writing it, or one writing it now.
    const ageMs = await stat(this.#file).then(
      (s) => Date.now() - s.mtimeMs,
      () => Number.POSITIVE_INFINITY,
    );
    return { kind: "unreadable", text, ageMs };
  }

  #startingNow(): AlreadyRunningError {
    return new AlreadyRunningError(
      `another berth is starting with the state dir ${this.stateDir} right now; stop it first, or give this one another state_dir`,
    );
  }

  async #usable<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw this.#unusable(error);
    }
  }

  #unusable(error: unknown): StateDirError {
    const reason = error instanceof Error ? error.message : String(error);
    return new StateDirError(
      `cannot use the state dir ${this.stateDir}: ${reason}; set state_dir in ${this.configFile} to a writable directory`,
    );
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
