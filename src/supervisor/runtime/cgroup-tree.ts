import { readFileSync, writeFileSync } from "node:fs";
import { mkdir, readdir, readFile, rmdir } from "node:fs/promises";
import { join } from "node:path";

/**
 * A cgroup (v2) per Instance, under one per berth run: what a process started can never
 * leave, whatever it does to its session, process group or environment. Used where the
 * system lets berth create cgroups (root, or a delegated subtree); elsewhere berth relies
 * on process groups and its environment marker alone.
 */
export class CgroupTree {
  private constructor(readonly dir: string) {}

  /** Creates the run's cgroup under berth's own; undefined when cgroup v2 is not writable here. */
  static async create(runId: string, procDir = "/proc"): Promise<CgroupTree | undefined> {
    const own = ownCgroupDir(procDir);
    if (!own) return undefined;
    const dir = join(own, `berth-${runId}`);
    try {
      await mkdir(dir);
      return new CgroupTree(dir);
    } catch {
      return undefined;
    }
  }

  /** The tree a previous run left, if its directory still exists. */
  static async existing(dir: string | undefined): Promise<CgroupTree | undefined> {
    if (!dir) return undefined;
    try {
      await readdir(dir);
      return new CgroupTree(dir);
    } catch {
      return undefined;
    }
  }

  /** Makes the instance's cgroup, before its process is started; false where that failed. */
  async prepare(instance: string): Promise<boolean> {
    try {
      await mkdir(this.#leaf(instance), { recursive: true });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Moves a process just spawned into the instance's cgroup. Synchronous, and called in the
   * same tick as spawn(): the child is then still exec'ing (setpriv, then the program), long
   * before it can fork anything. Should it win that race, its group and marker still find it.
   */
  place(instance: string, pid: number): boolean {
    try {
      writeFileSync(join(this.#leaf(instance), "cgroup.procs"), String(pid));
      return true;
    } catch {
      return false;
    }
  }

  /** The pids in the instance's cgroup now; read synchronously, for signal() and alive(). */
  members(instance: string): number[] {
    try {
      return readFileSync(join(this.#leaf(instance), "cgroup.procs"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map(Number);
    } catch {
      return [];
    }
  }

  /** SIGKILLs every process left in the instance's cgroup and removes it; the pids killed. */
  async empty(instance: string): Promise<number[]> {
    return emptyCgroup(this.#leaf(instance));
  }

  /** Empties and removes every instance's cgroup and the run's own. */
  async destroy(): Promise<number[]> {
    let leaves: string[] = [];
    try {
      leaves = (await readdir(this.dir, { withFileTypes: true }))
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {}
    const killed = (await Promise.all(leaves.map((leaf) => emptyCgroup(join(this.dir, leaf))))).flat();
    await rmdir(this.dir).catch(() => {});
    return killed;
  }

  #leaf(instance: string): string {
    // "web#1" is a fine directory name, but keep to a safe alphabet all the same.
    return join(this.dir, instance.replace(/[^A-Za-z0-9_.-]/g, "_"));
  }
}

async function emptyCgroup(dir: string): Promise<number[]> {
  const killed = new Set<number>();
  // Kill until the cgroup reports no process: one may fork while its siblings die.
  for (let pass = 0; pass < 10; pass++) {
    const pids = await readPids(join(dir, "cgroup.procs"));
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
        killed.add(pid);
      } catch {}
    }
    await populated(dir);
  }
  await rmdir(dir).catch(() => {});
  return [...killed];
}

/** Waits (briefly) for the kernel to finish reaping what was just killed. */
async function populated(dir: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const events = await readFile(join(dir, "cgroup.events"), "utf8").catch(() => "populated 0");
    if (/populated 0/.test(events)) return;
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function readPids(file: string): Promise<number[]> {
  try {
    return (await readFile(file, "utf8")).split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Where berth's own cgroup v2 is in the file system, from /proc/self/cgroup and mountinfo. */
function ownCgroupDir(procDir: string): string | undefined {
  try {
    const line = readFileSync(`${procDir}/self/cgroup`, "utf8")
      .split("\n")
      .find((l) => l.startsWith("0::"));
    const mount = readFileSync(`${procDir}/self/mountinfo`, "utf8")
      .split("\n")
      .map((l) => l.split(" "))
      .find((fields) => fields[fields.indexOf("-") + 1] === "cgroup2");
    if (!line || !mount?.[4]) return undefined;
    return join(mount[4], line.slice(3));
  } catch {
    return undefined;
  }
}
