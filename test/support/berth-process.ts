// Runs the real berth CLI (from source, through tsx) as a child process, the way a user
// would, and lets a test wait for lines of its output.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const FIXTURES = join(ROOT, "test", "fixtures");
const CLI = join(ROOT, "src", "cli", "index.ts");
// Absolute, so berth can run in a test's temporary directory: `--import tsx` is resolved from
// the working directory, and a temporary directory has no node_modules.
const TSX = import.meta.resolve("tsx");

export interface Line {
  text: string;
  /** performance.now() when it arrived */
  at: number;
}

/** A fresh temporary directory holding berth.yaml with the given text. */
export function writeConfig(yaml: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "berth-test-"));
  const file = join(dir, "berth.yaml");
  writeFileSync(file, yaml);
  return { dir, file };
}

/**
 * Writes the config, runs `berth up` on it, hands it to `body`, and always stops berth (and
 * anything of its still running) and removes the directory afterwards.
 */
export async function withBerth(
  yaml: string,
  body: (berth: BerthProcess, dir: string) => Promise<void>,
): Promise<void> {
  const { dir, file } = writeConfig(yaml);
  const berth = BerthProcess.up(file);
  try {
    await body(berth, dir);
  } finally {
    await berth.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface WaitOptions {
  timeoutMs?: number;
  /** Index in `lines` to start looking at. */
  from?: number;
  /** Look only at lines after this one. */
  after?: Line;
}

/** `node <fixture> <args…>` as a YAML flow sequence, with absolute paths. */
export function fixture(name: string, ...args: (string | number)[]): string {
  return JSON.stringify([process.execPath, join(FIXTURES, name), ...args.map(String)]);
}

/** A line berth prints about an instance (`web#1 | [berth] <message>`); `message` is a regex source. */
export function berthSays(instance: string, message: string): RegExp {
  return new RegExp(`^${escapeRegExp(instance)}\\s+\\| \\[berth\\] ${message}`);
}

/** A line an instance printed itself (`web#1 | <text>`); `text` is a regex source. */
export function instanceSays(instance: string, text: string): RegExp {
  return new RegExp(`^${escapeRegExp(instance)}\\s+\\| (?!\\[berth\\])${text}`);
}

/**
 * Waits until berth's proxy listens and `instance` has started and become ready, as a proxy test
 * does before its first request; the port berth gave the instance, to reach it past the proxy.
 */
export async function proxyAndInstanceUp(berth: BerthProcess, instance: string): Promise<number> {
  await berth.waitFor(berthSays("proxy", "listening on "));
  const started = await berth.waitFor(berthSays(instance, "started \\(pid \\d+, port \\d+"));
  await berth.waitFor(berthSays(instance, "ready in "), { after: started });
  return Number(/port (\d+)/.exec(started.text)![1]);
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// A test that timed out may leave its berth running: when the test file's process ends, so does
// every berth it started (and, through pdeathsig and the watchdog, what those started).
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export class BerthProcess {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** When the child exited (performance.now()); undefined while it runs. */
  exitedAt: number | undefined;
  /** Processes berth started (every `started (pid N` it printed, and what tests add): killed by stop() if left. */
  readonly #started = new Map<number, string | undefined>();
  #waiters: { pattern: RegExp; from: number; resolve: (line: Line) => void }[] = [];

  constructor(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
    this.child = spawn(process.execPath, ["--import", TSX, CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(this.child);
    this.child.once("exit", () => running.delete(this.child));
    // Settles once the output is read to its end too ('close'), so a test that awaits it sees
    // every line; at most 2 s after the exit, in case something else holds the pipes open.
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => {
        this.exitedAt = performance.now();
        const done = () => {
          clearTimeout(timer);
          resolve({ code, signal });
        };
        const timer = setTimeout(done, 2000);
        this.child.once("close", done);
      }),
    );
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      let partial = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        const parts = (partial + chunk).split("\n");
        partial = parts.pop() ?? "";
        for (const text of parts) this.#add(text);
      });
    }
  }

  /**
   * How berth ended, once it has; fails after timeoutMs with everything it printed (berth is
   * left running: the test's finally stops it).
   */
  waitForExit(timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`berth did not exit within ${timeoutMs} ms; it printed:\n${this.output}`)),
        timeoutMs,
      );
    });
    return Promise.race([this.exited, timeout]).finally(() => clearTimeout(timer));
  }

  static up(configFile: string, extra: string[] = []): BerthProcess {
    return new BerthProcess(["up", "-c", configFile, ...extra], { cwd: dirname(configFile) });
  }

  /** Runs `berth <args>` in `cwd` to the end: its exit code and output. */
  static async run(
    args: string[],
    cwd: string,
  ): Promise<{ code: number | null; output: string; lines: Line[] }> {
    const berth = new BerthProcess(args, { cwd });
    const { code } = await berth.stop(30_000, { signal: false });
    return { code, output: berth.output, lines: berth.lines };
  }

  get pid(): number {
    return this.child.pid!;
  }

  /**
   * Remembers a process this berth started (a grandchild, say), so stop() kills it if a
   * failing test left it running. Remembered with its start time, so a reused pid is not taken for it.
   */
  track(pid: number): void {
    if (!this.#started.has(pid)) this.#started.set(pid, processStart(pid));
  }

  #add(text: string): void {
    const line = { text, at: performance.now() };
    const started = /\[berth\] started \(pid (\d+)/.exec(text);
    if (started) this.track(Number(started[1]));
    this.lines.push(line);
    if (process.env.BERTH_TEST_ECHO) process.stderr.write(`  | ${text}\n`);
    for (const waiter of [...this.#waiters]) {
      if (this.lines.length - 1 >= waiter.from && waiter.pattern.test(text)) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  }

  get output(): string {
    return this.lines.map((l) => l.text).join("\n");
  }

  /**
   * The first line (at index `from` or later, or after the line `after`) that matches; fails
   * after timeoutMs with everything berth printed, so a failing test shows why.
   */
  waitFor(pattern: RegExp, { timeoutMs = 10_000, from = 0, after }: WaitOptions = {}): Promise<Line> {
    if (after) from = Math.max(from, this.lines.indexOf(after) + 1);
    const found = this.lines.slice(from).find((l) => pattern.test(l.text));
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(
          new Error(`no line matching ${pattern} within ${timeoutMs} ms; berth printed:\n${this.output}`),
        );
      }, timeoutMs);
      const done = (line: Line) => {
        clearTimeout(timer);
        resolve(line);
      };
      this.#waiters.push({ pattern, from, resolve: done });
    });
  }

  /** The n-th line (1-based) matching, counting from `from`/`after`. */
  async waitForNth(pattern: RegExp, n: number, options: WaitOptions = {}): Promise<Line> {
    let line = await this.waitFor(pattern, options);
    for (let i = 1; i < n; i++) line = await this.waitFor(pattern, { ...options, after: line });
    return line;
  }

  /** Every line matching so far. */
  matching(pattern: RegExp): Line[] {
    return this.lines.filter((l) => pattern.test(l.text));
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /**
   * SIGTERM and wait; SIGKILL if it has not ended after timeoutMs. Then SIGKILLs every process
   * berth started that is still running, so a test never leaks one, even when it failed.
   */
  async stop(
    timeoutMs = 15_000,
    { signal = true } = {},
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (signal && this.exitedAt === undefined) this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    const result = await this.exited;
    clearTimeout(timer);
    for (const [pid, start] of this.#started) {
      if (start !== undefined && processStart(pid) === start) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {}
      }
    }
    return result;
  }
}

/** Field 22 of /proc/<pid>/stat (the kernel's start time); undefined when there is no such process. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0): count it as dead, it runs nothing.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Polls a condition every 20 ms until it holds; fails with `what` after timeoutMs. */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 5000): Promise<number> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - start;
}
