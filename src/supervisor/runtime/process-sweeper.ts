import { readdir, readFile } from "node:fs/promises";

/**
 * Every process berth starts carries BERTH_INSTANCE=<run id>/<instance> in its
 * environment, and children inherit it, even those that leave the process group with
 * setsid. The sweeper finds them through /proc and SIGKILLs them: what an instance left
 * behind when it ended, or what a previous berth left when it was itself SIGKILLed.
 */
export const MARKER_VAR = "BERTH_INSTANCE";

type Matcher = (marker: string) => boolean;

interface Request {
  matches: Matcher;
  resolve: (killed: number[]) => void;
}

export class ProcessSweeper {
  #queued: Request[] = [];
  #scheduled = false;

  constructor(private readonly procDir = "/proc") {}

  /** Kills every process whose marker matches; the pids killed. Sweeps asked for in the same tick share one scan. */
  sweep(matches: Matcher): Promise<number[]> {
    return new Promise((resolve) => {
      this.#queued.push({ matches, resolve });
      if (this.#scheduled) return;
      this.#scheduled = true;
      setImmediate(() => void this.#run());
    });
  }

  async #run(): Promise<void> {
    const batch = this.#queued;
    this.#queued = [];
    this.#scheduled = false;
    // Per request, the pids killed: one still dying when the next pass looks is seen again,
    // and is killed again but counted once.
    const killed = batch.map(() => new Set<number>());
    // A process being killed may have forked a moment ago: look again until a pass finds none new.
    for (let pass = 0; pass < 5; pass++) {
      let found = 0;
      for (const { pid, marker } of await this.#markedProcesses()) {
        const index = batch.findIndex((r) => r.matches(marker));
        if (index < 0) continue;
        try {
          process.kill(pid, "SIGKILL");
          if (!killed[index]!.has(pid)) found++;
          killed[index]!.add(pid);
        } catch {}
      }
      if (found === 0) break;
    }
    for (const [i, request] of batch.entries()) request.resolve([...killed[i]!]);
  }

  async #markedProcesses(): Promise<{ pid: number; marker: string }[]> {
    let entries: string[];
    try {
      entries = await readdir(this.procDir);
    } catch {
      return [];
    }
    const prefix = `${MARKER_VAR}=`;
    const found = await Promise.all(
      entries.map(async (entry) => {
        const pid = Number(entry);
        if (!Number.isInteger(pid) || pid === process.pid) return undefined;
        try {
          const environ = await readFile(`${this.procDir}/${entry}/environ`, "latin1");
          const field = environ.split("\0").find((f) => f.startsWith(prefix));
          return field ? { pid, marker: field.slice(prefix.length) } : undefined;
        } catch {
          return undefined;
        }
      }),
    );
    return found.filter((p) => p !== undefined);
  }
}
