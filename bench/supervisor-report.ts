// The supervisor benchmark's report: the table printed and written to bench/RESULTS.md.
import { cpus, release, totalmem } from "node:os";
import { formatTable, type Spread, spread } from "./benchmark.js";
import type { BerthCommand } from "./berth-under-test.js";

/** The figures of one run; times in ms. */
export interface RunFigures {
  /** berth spawned → the line saying the last instance is ready */
  readyMs: number;
  /** berth spawned → its first instance's process created: node, the CLI, the config, the run record */
  bootMs: number;
  /** first → last instance process created: the spawning */
  spawningMs: number;
  /** last instance process created → the last "ready" line: the readiness probes' tail */
  probingMs: number;
  /** A bare node process spawning the same commands (bench/fixtures/spawn-floor.mjs). */
  spawnFloorMs: number;
  /** berth's CPU time (user + system, all threads) from its start until all were ready */
  startCpuMs: number;
  /** SIGTERM → berth's exit, every instance found stopped */
  stopMs: number;
  /** SIGTERM → "all services stopped" */
  allStoppedLineMs: number;
  idleCpuPercent: number;
  idleRssMiB: number;
  idleAnonMiB: number;
  peakRssMiB: number;
  /** Instances that ended or failed and were restarted while starting (should be 0). */
  restarts: number;
  /** /proc/loadavg's 1-minute figure when the run began: how busy the shared machine was. */
  load: number;
}

export interface ReportSettings {
  services: number;
  idleSeconds: number;
  cli: BerthCommand;
  program: { label: string };
}

export function tableRows(figures: RunFigures[], settings: ReportSettings): string[][] {
  const row = (
    metric: string,
    goal: string,
    values: number[],
    format: (n: number) => string,
    limit?: number,
  ) => {
    const s: Spread = spread(values);
    const verdict = limit === undefined ? "" : s.median < limit ? "met" : "MISSED";
    return [metric, goal, format(s.median), format(s.min), format(s.max), verdict];
  };
  const pick = (key: keyof RunFigures) => figures.map((f) => f[key]);
  const msText = (n: number) => (Number.isNaN(n) ? "–" : `${Math.round(n)} ms`);
  const pct = (n: number) => `${n.toFixed(2)} %`;
  const mib = (n: number) => `${n.toFixed(1)} MiB`;
  const count = (n: number) => String(n);
  return [
    ["metric", "goal", "median", "min", "max", "median vs goal"],
    row(`start → all ${settings.services} ready`, "< 2 s", pick("readyMs"), msText, 2000),
    row("↳ boot: start → first instance created", "", pick("bootMs"), msText),
    row(`↳ spawning: first → last instance created`, "", pick("spawningMs"), msText),
    row("↳ probes: last instance created → all ready", "", pick("probingMs"), msText),
    row(`↳ floor: a bare node spawning the same ${settings.services}`, "", pick("spawnFloorMs"), msText),
    row("↳ berth's CPU time (user + system) until all ready", "", pick("startCpuMs"), msText),
    row("SIGTERM → berth exited, all stopped", "< 1 s", pick("stopMs"), msText, 1000),
    row('↳ SIGTERM → "all services stopped" line', "", pick("allStoppedLineMs"), msText),
    row(`idle CPU over ${settings.idleSeconds} s`, "< 1 %", pick("idleCpuPercent"), pct, 1),
    row("idle RSS (VmRSS)", "< 80 MiB", pick("idleRssMiB"), mib, 80),
    row("↳ of which berth's own (RssAnon)", "", pick("idleAnonMiB"), mib),
    row("peak RSS (VmHWM)", "", pick("peakRssMiB"), mib),
    row("restarts while starting", "0", pick("restarts"), count),
    row("machine load (1-min loadavg) at run start", "", pick("load"), (n) => n.toFixed(2)),
  ];
}

export function ms(n: number): string {
  return `${Math.round(n)} ms`;
}

export function resultsMarkdown(
  rows: string[][],
  completed: number,
  failures: string[],
  settings: ReportSettings,
): string {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const date = new Date().toISOString().slice(0, 16).replace("T", " ");
  return `## supervisor, berth ${settings.cli.mode === "dist" ? "built (dist/)" : "from source (tsx)"}

${settings.services} services under one \`berth up\`, each \`port: auto\` with the default readiness
(TCP connect). Medians of ${completed} completed run(s)${failures.length > 0 ? ` (${failures.length} failed)` : ""}.

- **Date**: ${date} UTC
- **Machine**: ${cpus().length} CPUs (nproc; ${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}, Node ${process.version}; shared and noisy
- **berth**: ${settings.cli.label}
- **each service**: ${settings.program.label}
- **idle window**: ${settings.idleSeconds} s, starting when the last instance is reported ready

${formatTable(rows, true)}
${failures.length > 0 ? `\nFailed runs:\n\n${failures.map((f) => `- ${f.split("\n")[0]}`).join("\n")}\n` : ""}
How it is measured: the bench spawns berth (own process group, \`setpriv --pdeathsig TERM\` so it
cannot outlive the bench) and timestamps berth's output lines as they arrive. Start is the spawn;
ready is the "ready in" line of the last instance. Stop is SIGTERM to berth's pid until berth has
exited; then every instance pid from the "started (pid …)" lines is checked in /proc (pid and start
time; a zombie counts as stopped). Idle CPU is the change of utime+stime in /proc/<pid>/stat of
berth's process (all its threads) over the window; RSS is VmRSS from /proc/<pid>/status at its end.
The boot / spawning / probes split comes from the kernel's start times of berth and of each instance
(field 22 of /proc/<pid>/stat, in 10 ms ticks).

Reproduce: \`npm run bench -- supervisor --cli ${settings.cli.mode}\` (options: \`--runs N\`, \`--services N\`, \`--idle S\`,
\`--cli source|dist\`, \`--cpu-prof DIR\`, \`--no-write\`; \`npm run bench -- --help\`).`;
}
