// Runs the real berth CLI (from source, through tsx) as a child process, the way a user
// would, and lets a test wait for lines of its output.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const FIXTURES = join(ROOT, "test", "fixtures");
const CLI = join(ROOT, "src", "cli", "index.ts");

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

export class BerthProcess {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #waiters: { pattern: RegExp; from: number; resolve: (line: Line) => void }[] = [];

  constructor(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
    this.child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => resolve({ code, signal })),
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

  static up(configFile: string, extra: string[] = []): BerthProcess {
    return new BerthProcess(["up", "-c", configFile, ...extra], { cwd: dirname(configFile) });
  }

  #add(text: string): void {
    const line = { text, at: performance.now() };
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
   * The first line (at index `from` or later) that matches; fails after timeoutMs with
   * everything berth printed, so a failing test shows why.
   */
  waitFor(pattern: RegExp, { timeoutMs = 10_000, from = 0 } = {}): Promise<Line> {
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

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** SIGTERM and wait; SIGKILL if it has not ended after timeoutMs (so a test never leaks it). */
  async stop(timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
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
