// One `berth up` started by a benchmark: its output lines with their arrival times, the
// instances it reports starting, and a shutdown that leaves nothing behind.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { UsageError } from "./benchmark.js";
import { identify, isRunning, type ProcessIdentity, signalIfRunning } from "./proc.js";

export interface Line {
  text: string;
  /** performance.now() when the bench read it */
  at: number;
}

export interface BerthCommand {
  /** "dist" or "source" */
  mode: string;
  /** How the CLI is run, for the report. */
  label: string;
  /** node's arguments before `up -c <file>`. */
  nodeArgs: string[];
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** performance.now() when the bench saw it */
  at: number;
}

const ROOT = join(import.meta.dirname, "..");

const STARTED = /^(\S+)\s+\| \[berth\] started \(pid (\d+)/;

export class BerthUnderTest {
  readonly child: ChildProcess;
  readonly pid: number;
  /** performance.now() just before the spawn. */
  readonly spawnedAt: number;
  readonly lines: Line[] = [];
  /** Every instance berth reported starting, by name. */
  readonly instances = new Map<string, ProcessIdentity>();
  /** berth's own pid and start time (the start time is the spawn's, in clock ticks since boot). */
  readonly identity: ProcessIdentity | undefined;
  readonly exited: Promise<Exit>;
  /** Settles once berth has exited and its output has been read to the end. */
  readonly closed: Promise<void>;
  #exit: Exit | undefined;
  #watchdog: ProcessIdentity | undefined;
  #waiters = new Set<() => void>();

  constructor(
    command: BerthCommand,
    readonly configFile: string,
    readonly dir: string,
    setpriv: string | undefined,
    /** Words before everything else, e.g. `taskset -c 0` to pin berth to a CPU. */
    launcher: readonly string[] = [],
  ) {
    const nodeArgv = [process.execPath, ...command.nodeArgs, "up", "-c", configFile, "--no-color"];
    // Its own process group, so a Ctrl-C in the terminal reaches only the bench, which then stops
    // berth itself; --pdeathsig, so berth stops its services even if the bench is SIGKILLed.
    const argv = [...launcher, ...(setpriv ? [setpriv, "--pdeathsig", "TERM", "--", ...nodeArgv] : nodeArgv)];
    this.spawnedAt = performance.now();
    this.child = spawn(argv[0]!, argv.slice(1), {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1" },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    // A failed spawn is reported below, through the missing pid.
    this.child.on("error", () => {});
    if (this.child.pid === undefined) throw new Error(`starting berth: could not spawn ${argv[0]}`);
    this.pid = this.child.pid;
    this.identity = identify(this.pid);
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.#exit = { code, signal, at: performance.now() };
        resolve(this.#exit);
        this.#notify();
      });
    });
    this.closed = new Promise((resolve) => this.child.once("close", () => resolve()));
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      let partial = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        const at = performance.now();
        const parts = (partial + chunk).split("\n");
        partial = parts.pop() ?? "";
        for (const text of parts) this.#add({ text, at });
      });
    }
  }

  /** How berth exited; undefined while it runs. */
  get exit(): Exit | undefined {
    return this.#exit;
  }

  #add(line: Line): void {
    this.lines.push(line);
    const started = STARTED.exec(line.text);
    if (started) {
      const who = identify(Number(started[2]));
      if (who) this.instances.set(started[1]!, who);
    }
    this.#notify();
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  /**
   * Resolves with what `check` returns once it returns something, re-checked after every line;
   * rejects when berth exits first or after timeoutMs, with the end of berth's output.
   */
  until<T>(what: string, check: () => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const done = (error?: Error, value?: T) => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        if (error) reject(error);
        else resolve(value as T);
      };
      const waiter = () => {
        const value = check();
        if (value !== undefined) done(undefined, value);
        else if (this.#exit) done(this.#failure(`berth exited (${describe(this.#exit)}) before ${what}`));
      };
      const timer = setTimeout(() => done(this.#failure(`no ${what} after ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.add(waiter);
      waiter();
    });
  }

  #failure(message: string): Error {
    const tail = this.lines.slice(-15).map((l) => `    ${l.text}`);
    return new Error([message, "  last lines of berth's output:", ...tail].join("\n"));
  }

  /** berth's watchdog (a detached sh), from the run record in the state dir. */
  findWatchdog(): void {
    try {
      const record = JSON.parse(readFileSync(join(this.dir, ".berth", "run.json"), "utf8")) as {
        watchdogPid?: number;
      };
      if (record.watchdogPid) this.#watchdog = identify(record.watchdogPid);
    } catch {}
  }

  get watchdog(): ProcessIdentity | undefined {
    return this.#watchdog;
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.#exit) this.child.kill(signal);
  }

  /** Instances berth started that still run. */
  survivors(): ProcessIdentity[] {
    return [...this.instances.values()].filter(isRunning);
  }

  /**
   * Leaves nothing behind: asks berth to stop (SIGTERM), SIGKILLs it if it has not exited in
   * graceMs, then SIGKILLs any instance it started that still runs and waits for its watchdog.
   * Only processes seen started (by pid and start time) are ever signalled.
   */
  async shutdown(graceMs = 10_000): Promise<void> {
    if (!this.#exit) {
      this.signal("SIGTERM");
      if (!(await within(this.exited, graceMs))) {
        process.stderr.write(
          `bench: berth (pid ${this.pid}) did not exit ${graceMs} ms after SIGTERM: SIGKILL\n`,
        );
        this.signal("SIGKILL");
        await within(this.exited, 5_000);
      }
    }
    const survivors = this.survivors();
    if (survivors.length > 0) {
      process.stderr.write(`bench: ${survivors.length} instance(s) outlived berth: SIGKILL\n`);
      for (const who of survivors) signalIfRunning(who, "SIGKILL");
    }
    // The watchdog ends by itself once berth is gone; give it a moment, then end it.
    const watchdog = this.#watchdog;
    if (watchdog && !(await waitUntil(() => !isRunning(watchdog), 5_000)))
      signalIfRunning(watchdog, "SIGKILL");
  }
}

function describe(exit: { code: number | null; signal: NodeJS.Signals | null }): string {
  return exit.signal ? `killed by ${exit.signal}` : `code ${exit.code}`;
}

/** Whether `promise` settled within ms. */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const result = await Promise.race([promise.then(() => true), timeout]);
  clearTimeout(timer);
  return result;
}

/** Polls `check` every 20 ms; whether it became true within ms. */
export async function waitUntil(check: () => boolean, ms: number): Promise<boolean> {
  const until = performance.now() + ms;
  while (!check()) {
    if (performance.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/**
 * The node flags the bench runs berth with: those of `npm start` in package.json, which the
 * README recommends for a long-running berth (`NODE_OPTIONS=--max-semi-space-size=4 berth up`):
 * under proxy load a 4 MiB young generation costs ~10 % less CPU per request than 1 MiB, and its
 * peak RSS is lower (fewer objects promoted); idle, it holds ~4 MiB more (bench/RESULTS.md).
 * Not on the shebang of src/cli/index.ts: busybox env (Alpine) has no -S to pass them there.
 */
export const BERTH_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=4"];

/** How to run berth: "dist" builds it first, "source" runs src/ through tsx, a path runs that build. */
export function berthCommand(mode: string): BerthCommand {
  if (mode === "source") {
    return {
      mode,
      label: "from source through tsx: node --import tsx src/cli/index.ts up -c <generated berth.yaml>",
      nodeArgs: [
        ...BERTH_NODE_FLAGS,
        "--import",
        import.meta.resolve("tsx"),
        join(ROOT, "src", "cli", "index.ts"),
      ],
    };
  }
  if (mode === "dist") {
    console.log("building: npm run build");
    try {
      execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" });
    } catch {
      throw new UsageError(
        "npm run build failed (see above): fix the build, or run berth from source with --cli source",
      );
    }
    return {
      mode,
      label: "built: npm run build, then node dist/cli/index.js up -c <generated berth.yaml>",
      nodeArgs: [...BERTH_NODE_FLAGS, join(ROOT, "dist", "cli", "index.js")],
    };
  }
  if (mode.endsWith(".js") && existsSync(mode)) {
    const file = resolve(mode);
    return {
      mode: "file",
      label: `node ${file} up -c <generated berth.yaml>`,
      nodeArgs: [...BERTH_NODE_FLAGS, file],
    };
  }
  throw new UsageError(`--cli wants "dist", "source" or the path of a built cli/index.js, not "${mode}"`);
}
