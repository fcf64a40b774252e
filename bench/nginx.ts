// One nginx started by a benchmark, in the foreground (daemon off), with its own config, pid
// file and logs in a temp dir, pinned to one CPU: its master and worker pids, and a stop that
// leaves nothing behind (only the pids seen started are ever signalled).
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitUntil, within } from "./berth-under-test.js";
import { portOpen } from "./free-port.js";
import { identify, isRunning, type ProcessIdentity, readStat, signalIfRunning } from "./proc.js";
import { findExecutable } from "./service-program.js";

export function findNginx(): string | undefined {
  return findExecutable("nginx") ?? ["/usr/sbin/nginx", "/usr/local/sbin/nginx"].find((p) => existsSync(p));
}

export class Nginx {
  readonly child: ChildProcess;
  readonly master: ProcessIdentity;
  #workers: ProcessIdentity[] = [];
  #output = "";
  #exited = false;

  private constructor(
    readonly label: string,
    readonly dir: string,
    child: ChildProcess,
    master: ProcessIdentity,
  ) {
    this.child = child;
    this.master = master;
    child.once("exit", () => {
      this.#exited = true;
    });
    for (const stream of [child.stdout!, child.stderr!])
      stream.setEncoding("utf8").on("data", (chunk: string) => {
        this.#output += chunk;
      });
  }

  /**
   * Writes `config` to dir/nginx.conf and runs `taskset -c CPU setpriv --pdeathsig TERM nginx`
   * on it; resolves once it accepts connections on `port` and its worker is found.
   */
  static async start(
    label: string,
    nginx: string,
    dir: string,
    config: string,
    port: number,
    cpu: number,
    setpriv: string | undefined,
  ): Promise<Nginx> {
    const file = join(dir, "nginx.conf");
    writeFileSync(file, config);
    const argv = [
      "taskset",
      "-c",
      String(cpu),
      ...(setpriv ? [setpriv, "--pdeathsig", "TERM", "--"] : []),
      nginx,
      "-p",
      `${dir}/`,
      "-c",
      file,
      "-e",
      join(dir, "error.log"),
      "-g",
      "daemon off;",
    ];
    // Its own process group: a Ctrl-C reaches the bench, which stops nginx itself.
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    child.on("error", () => {});
    const master = child.pid === undefined ? undefined : identify(child.pid);
    if (!master) throw new Error(`${label}: could not start ${nginx}`);
    const instance = new Nginx(label, dir, child, master);
    const up = await portOpen(port, 10_000, () => instance.#exited);
    // The master listens before it forks its worker.
    await waitUntil(() => instance.#exited || childrenOf(master.pid).length > 0, 5_000);
    instance.#workers = childrenOf(master.pid);
    if (!up || instance.#workers.length === 0) {
      await instance.stop();
      throw new Error(`${label} did not start:\n${instance.diagnostics()}`);
    }
    return instance;
  }

  /** Master and workers: the processes whose memory and CPU count as nginx's. */
  get processes(): ProcessIdentity[] {
    return [this.master, ...this.#workers];
  }

  diagnostics(): string {
    const log = join(this.dir, "error.log");
    const errors = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").slice(-10).join("\n") : "";
    return [this.#output.trim(), errors].filter(Boolean).join("\n") || "(no output)";
  }

  /** SIGTERM (nginx's fast shutdown), SIGKILL after 5 s; then any worker still there. */
  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.#exited) resolve();
      else this.child.once("exit", () => resolve());
    });
    if (!this.#exited) {
      signalIfRunning(this.master, "SIGTERM");
      if (!(await within(exited, 5_000))) {
        signalIfRunning(this.master, "SIGKILL");
        await within(exited, 5_000);
      }
    }
    if (!(await waitUntil(() => !this.#workers.some(isRunning), 2_000)))
      for (const worker of this.#workers) signalIfRunning(worker, "SIGKILL");
  }
}

/** Processes whose parent is `pid` (a scan of /proc). */
export function childrenOf(pid: number): ProcessIdentity[] {
  const found: ProcessIdentity[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue;
    }
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[1]) !== pid) continue;
    const stat = readStat(Number(name));
    if (stat) found.push({ pid: Number(name), startTime: stat.startTime });
  }
  return found;
}
