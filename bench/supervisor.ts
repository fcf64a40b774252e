// The supervisor benchmark: one berth running N trivial services (`port: auto`, the default
// TCP readiness). Measures, from berth's own output lines and /proc:
//   - start until every instance is ready (goal < 2 s),
//   - SIGTERM until berth has exited with every instance stopped (goal < 1 s),
//   - berth's CPU over an idle window once all are ready (goal < 1 %),
//   - berth's RSS when idle (goal < 80 MiB).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type BenchContext,
  type Benchmark,
  formatTable,
  positiveInteger,
  positiveNumber,
} from "./benchmark.js";
import { type BerthCommand, BerthUnderTest, berthCommand, within } from "./berth-under-test.js";
import { clockTicksPerSecond, readMemory, readStat } from "./proc.js";
import { RESULTS_FILE, updateResults } from "./results.js";
import { findExecutable, PORT_REF, type ServiceProgram, serviceProgram } from "./service-program.js";
import { ms, type RunFigures, resultsMarkdown, tableRows } from "./supervisor-report.js";

const SPAWN_FLOOR = join(import.meta.dirname, "fixtures", "spawn-floor.mjs");
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

interface Settings {
  runs: number;
  services: number;
  idleSeconds: number;
  cli: BerthCommand;
  program: ServiceProgram;
  cpuProfDir: string | undefined;
  setpriv: string | undefined;
}

export const supervisorBenchmark: Benchmark = {
  name: "supervisor",
  summary: "N services (port: auto, TCP readiness) under one berth: start, stop, idle CPU and RSS",
  options: {
    runs: { type: "string", default: "5" },
    services: { type: "string", default: "200" },
    idle: { type: "string", default: "10" },
    cli: { type: "string", default: "dist" },
    "cpu-prof": { type: "string" },
    "no-write": { type: "boolean", default: false },
  },
  help: [
    "--runs N       repetitions; medians are reported (default 5)",
    "--services N   services in the generated berth.yaml (supervisor; default 200)",
    "--idle S       seconds of the idle CPU window (supervisor; default 10)",
    "--cli dist     npm run build, then run dist/cli/index.js (default); `source`: src/ through tsx;",
    "               or the path of a built cli/index.js (to compare builds)",
    "--cpu-prof DIR run berth with node --cpu-prof, writing one .cpuprofile per run into DIR",
    "--no-write     do not update bench/RESULTS.md",
  ],
  run,
};

async function run({ values, cleanup }: BenchContext): Promise<boolean> {
  const settings: Settings = {
    runs: positiveInteger(values.runs, "runs"),
    services: positiveInteger(values.services, "services"),
    idleSeconds: positiveNumber(values.idle, "idle"),
    cli: berthCommand(String(values.cli)),
    program: serviceProgram(),
    cpuProfDir: typeof values["cpu-prof"] === "string" ? values["cpu-prof"] : undefined,
    setpriv: findExecutable("setpriv"),
  };
  if (settings.cpuProfDir) mkdirSync(settings.cpuProfDir, { recursive: true });
  const { services, runs, idleSeconds } = settings;
  console.log(`berth:   ${settings.cli.label}`);
  console.log(`service: ${settings.program.label}`);
  console.log(`${services} services, ${runs} run(s), idle window ${idleSeconds} s\n`);

  const figures: RunFigures[] = [];
  const failures: string[] = [];
  for (let i = 1; i <= runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), "berth-bench-"));
    const removeDir = cleanup.add(`the directory ${dir}`, () =>
      rmSync(dir, { recursive: true, force: true }),
    );
    try {
      const f = await oneRun(settings, dir, i, cleanup);
      figures.push(f);
      console.log(
        `run ${i}/${runs}: ready ${ms(f.readyMs)} (boot ${ms(f.bootMs)}, spawning ${ms(f.spawningMs)}, ` +
          `probes ${ms(f.probingMs)}), stop ${ms(f.stopMs)}, ` +
          `idle CPU ${f.idleCpuPercent.toFixed(2)} %, RSS ${f.idleRssMiB.toFixed(1)} MiB` +
          (f.restarts > 0 ? `, ${f.restarts} restart(s)` : "") +
          ` [load ${f.load.toFixed(2)}]`,
      );
    } catch (error) {
      failures.push(`run ${i}: ${(error as Error).message}`);
      console.log(`run ${i}/${runs}: FAILED: ${(error as Error).message}`);
    } finally {
      await removeDir();
    }
  }

  if (figures.length === 0) return false;
  const rows = tableRows(figures, settings);
  console.log(`\n${formatTable(rows, false)}`);
  // A build given by path is an experiment: its figures do not go into RESULTS.md.
  if (values["no-write"] !== true && settings.cli.mode !== "file") {
    updateResults(
      `supervisor-${settings.cli.mode}`,
      resultsMarkdown(rows, figures.length, failures, settings),
    );
    console.log(`\nwrote ${RESULTS_FILE}`);
  }
  return failures.length === 0;
}

async function oneRun(settings: Settings, dir: string, index: number, cleanup: BenchContext["cleanup"]) {
  const { services, program, idleSeconds } = settings;
  const configFile = join(dir, "berth.yaml");
  writeFileSync(configFile, configYaml(services, program));
  program.prepare(dir);
  const cli: BerthCommand = settings.cpuProfDir
    ? {
        ...settings.cli,
        nodeArgs: [
          "--cpu-prof",
          `--cpu-prof-dir=${settings.cpuProfDir}`,
          `--cpu-prof-name=supervisor-run${index}-${process.pid}.cpuprofile`,
          ...settings.cli.nodeArgs,
        ],
      }
    : settings.cli;

  const load = Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
  const spawnFloorMs = await spawnFloor(settings, dir, cleanup);
  const berth = new BerthUnderTest(cli, configFile, dir, settings.setpriv);
  const stopEverything = cleanup.add(`berth (pid ${berth.pid}) and its services`, () => berth.shutdown());
  try {
    // Start: every instance ready.
    const ready = new Set<string>();
    let restarts = 0;
    let seen = 0;
    const readyAt = await berth.until(
      `${services} ready instances`,
      () => {
        for (; seen < berth.lines.length; seen++) {
          const line = berth.lines[seen]!;
          const match = /^(\S+)\s+\| \[berth\] (ready in|restarting in)/.exec(line.text);
          if (match?.[2] === "ready in") ready.add(match[1]!);
          else if (match) restarts++;
          if (ready.size === services) return line.at;
        }
        return undefined;
      },
      READY_TIMEOUT_MS,
    );
    const startCpuTicks = readStat(berth.pid)?.cpuTicks ?? Number.NaN;
    berth.findWatchdog();
    // When the kernel created berth and each instance (clock ticks since boot; berth's is the spawn).
    const tickMs = 1000 / clockTicksPerSecond();
    const berthStart = Number(berth.identity?.startTime);
    const starts = [...berth.instances.values()].map((who) => Number(who.startTime));
    const firstStart = Math.min(...starts);
    const lastStart = Math.max(...starts);

    // Idle: berth's CPU over the window, then its memory.
    const before = readStat(berth.pid);
    const windowStart = performance.now();
    await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
    const after = readStat(berth.pid);
    const windowMs = performance.now() - windowStart;
    const memory = readMemory(berth.pid);
    if (!before || !after || !memory || berth.exit) throw new Error("berth exited during the idle window");
    const cpuSeconds = (after.cpuTicks - before.cpuTicks) / clockTicksPerSecond();

    // Stop: SIGTERM until berth has exited, then check that nothing it started still runs.
    const sigtermAt = performance.now();
    berth.signal("SIGTERM");
    const exit = await berth.until("exit after SIGTERM", () => berth.exit, STOP_TIMEOUT_MS);
    const survivors = berth.survivors();
    if (survivors.length > 0) {
      const pids = survivors.map((s) => s.pid).join(" ");
      throw new Error(`${survivors.length} instance(s) still running after berth exited: ${pids}`);
    }
    if (exit.code !== 0) throw new Error(`berth exited with code ${exit.code} after SIGTERM`);
    await within(berth.closed, 2_000); // its last lines may come after the exit
    const allStopped = berth.lines.find(
      (l) => l.at >= sigtermAt && /\[berth\] all services stopped/.test(l.text),
    );

    const readyMs = readyAt - berth.spawnedAt;
    return {
      readyMs,
      bootMs: (firstStart - berthStart) * tickMs,
      spawningMs: (lastStart - firstStart) * tickMs,
      probingMs: readyMs - (lastStart - berthStart) * tickMs,
      spawnFloorMs,
      startCpuMs: startCpuTicks * tickMs,
      stopMs: exit.at - sigtermAt,
      allStoppedLineMs: allStopped ? allStopped.at - sigtermAt : Number.NaN,
      idleCpuPercent: (cpuSeconds / (windowMs / 1000)) * 100,
      idleRssMiB: memory.rssKiB / 1024,
      idleAnonMiB: memory.anonKiB / 1024,
      peakRssMiB: memory.peakKiB / 1024,
      restarts,
      load,
    };
  } finally {
    await stopEverything();
  }
}

/**
 * Runs bench/fixtures/spawn-floor.mjs: how long a bare node process takes to spawn the same
 * commands as berth does (the same wrapper, own session, piped output), for comparison.
 */
async function spawnFloor(
  settings: Settings,
  dir: string,
  cleanup: BenchContext["cleanup"],
): Promise<number> {
  const argv = settings.program.argv.map((word) => word.replace(PORT_REF, "0"));
  // berth's own wrapper, so that these die with the fixture too.
  const wrapped = settings.setpriv ? [settings.setpriv, "--pdeathsig", "KILL", "--", ...argv] : argv;
  const child = spawn(process.execPath, [SPAWN_FLOOR, String(settings.services), JSON.stringify(wrapped)], {
    cwd: dir,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const ended = once(child, "exit");
  const stop = cleanup.add(`the spawn-floor fixture (pid ${child.pid})`, async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await ended;
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
  });
  const [code] = await ended;
  await stop();
  if (code !== 0) throw new Error(`bench/fixtures/spawn-floor.mjs failed (exit code ${code})`);
  return (JSON.parse(out) as { spawnMs: number }).spawnMs;
}

function configYaml(count: number, program: ServiceProgram): string {
  const width = String(count).length;
  const lines = ["# Generated by bench/supervisor.ts for one run of the supervisor benchmark.", "services:"];
  for (let i = 1; i <= count; i++) {
    lines.push(`  svc${String(i).padStart(width, "0")}:`);
    lines.push(`    command: ${JSON.stringify(program.argv.join(" "))}`);
    lines.push("    port: auto");
  }
  return `${lines.join("\n")}\n`;
}
