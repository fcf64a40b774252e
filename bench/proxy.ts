// The proxy benchmark (issue 3): berth's proxy against nginx, side by side. One backend (an
// nginx of its own, on CPU 1, with wrk); both proxies on CPU 0, each forwarding to it over
// keep-alive connections; wrk runs alternate between them: small and 16 KiB responses over 50
// connections, and the small one over a single connection for latency. Measures req/s, p50/p99,
// the proxy's RSS (VmRSS sampled during the load, its maximum) and CPU.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import {
  type BenchContext,
  type Benchmark,
  formatTable,
  positiveInteger,
  positiveNumber,
  UsageError,
} from "./benchmark.js";
import { type BerthCommand, BerthUnderTest, berthCommand } from "./berth-under-test.js";
import type { Cleanup } from "./cleanup.js";
import { freePort } from "./free-port.js";
import { findNginx, Nginx } from "./nginx.js";
import { backendConfig, berthConfig, LARGE_BYTES, PATHS, proxyConfig, SMALL_BODY } from "./nginx-config.js";
import { clockTicksPerSecond, type ProcessIdentity, readMemory, readStat } from "./proc.js";
import {
  type ProxyName,
  proxyMarkdown,
  proxyRows,
  type Sample,
  SCENARIOS,
  type Scenario,
} from "./proxy-report.js";
import { RESULTS_FILE, updateResults } from "./results.js";
import { findExecutable } from "./service-program.js";
import { runWrk } from "./wrk.js";

/** The proxies' CPU, and the one the backend and wrk share. */
const PROXY_CPU = 0;
const LOAD_CPU = 1;
export const WARMUP_SECONDS = 3;
const INSTALL = "scripts/bench/install.sh";

export interface ProxySettings {
  rounds: number;
  seconds: number;
  connections: number;
  scenarios: Scenario[];
  cli: BerthCommand;
  cpuProfDir: string | undefined;
  nginxVersion: string;
  wrkVersion: string;
  warmupSeconds: number;
}

export const proxyBenchmark: Benchmark = {
  name: "proxy",
  summary: "berth's proxy against nginx: req/s, p50/p99 and RSS, both on one core, same backend",
  options: {
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "8" },
    connections: { type: "string", default: "50" },
    scenarios: { type: "string", default: SCENARIOS.map((s) => s.key).join(",") },
    cli: { type: "string", default: "dist" },
    "cpu-prof": { type: "string" },
    "no-write": { type: "boolean", default: false },
  },
  help: [
    "--rounds N     proxy: alternating nginx/berth rounds per scenario; medians reported (default 3)",
    "--seconds S    proxy: length of each wrk run (default 8)",
    "--connections N",
    "               proxy: wrk's connections for the throughput runs (default 50)",
    `--scenarios L  proxy: comma-separated, of ${SCENARIOS.map((s) => s.key).join(", ")} (default: all)`,
    "               proxy with --cpu-prof: one profile of berth over the whole bench, when it stops",
    `               proxy needs nginx and wrk: sh ${INSTALL}`,
  ],
  run,
};

async function run({ values, cleanup }: BenchContext): Promise<boolean> {
  const nginx = findNginx();
  const missing = [
    nginx ? "" : "nginx",
    findExecutable("wrk") ? "" : "wrk",
    findExecutable("taskset") ? "" : "taskset",
  ]
    .filter(Boolean)
    .join(", ");
  if (missing)
    throw new UsageError(`the proxy benchmark needs ${missing}: run \`sh ${INSTALL}\` (as root) first`);
  if (cpus().length < 2)
    throw new UsageError("the proxy benchmark needs 2 CPUs (one for the proxy, one for the load)");
  const settings: ProxySettings = {
    rounds: positiveInteger(values.rounds, "rounds"),
    seconds: positiveNumber(values.seconds, "seconds"),
    connections: positiveInteger(values.connections, "connections"),
    scenarios: String(values.scenarios)
      .split(",")
      .map((key) => {
        const found = SCENARIOS.find((s) => s.key === key.trim());
        if (!found)
          throw new UsageError(
            `--scenarios: no scenario "${key}" (there are: ${SCENARIOS.map((s) => s.key).join(", ")})`,
          );
        return found;
      }),
    cli: berthCommand(String(values.cli)),
    cpuProfDir: typeof values["cpu-prof"] === "string" ? values["cpu-prof"] : undefined,
    nginxVersion: versionOf([nginx!, "-v"], /nginx\/(\S+)/),
    wrkVersion: versionOf(["wrk", "--version"], /wrk (\S+)/),
    warmupSeconds: WARMUP_SECONDS,
  };
  const setpriv = findExecutable("setpriv");
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-proxy-"));
  cleanup.add(`the directory ${dir}`, () => rmSync(dir, { recursive: true, force: true }));

  // The backend: nginx on the load CPU.
  const [backendPort = 0, nginxPort = 0, berthPort = 0] = await distinctPorts(3);
  const www = join(dir, "www");
  mkdirSync(www);
  writeFileSync(join(www, PATHS.large.slice(1)), Buffer.alloc(LARGE_BYTES, "x"));
  const backendDir = subdir(dir, "backend");
  const backend = await Nginx.start(
    "the backend nginx",
    nginx!,
    backendDir,
    backendConfig(backendDir, www, backendPort),
    backendPort,
    LOAD_CPU,
    setpriv,
  );
  cleanup.add(`the backend nginx (pid ${backend.master.pid})`, () => backend.stop());

  // The proxies, both on the proxy CPU, both idle while the other is measured.
  const nginxDir = subdir(dir, "nginx");
  const proxyNginx = await Nginx.start(
    "nginx as the proxy",
    nginx!,
    nginxDir,
    proxyConfig(nginxDir, nginxPort, backendPort),
    nginxPort,
    PROXY_CPU,
    setpriv,
  );
  cleanup.add(`nginx as the proxy (pid ${proxyNginx.master.pid})`, () => proxyNginx.stop());

  const berthDir = subdir(dir, "berth");
  const configFile = join(berthDir, "berth.yaml");
  writeFileSync(configFile, berthConfig(berthPort, backendPort));
  let cli = settings.cli;
  if (settings.cpuProfDir) {
    mkdirSync(settings.cpuProfDir, { recursive: true });
    cli = {
      ...cli,
      nodeArgs: [
        "--cpu-prof",
        `--cpu-prof-dir=${settings.cpuProfDir}`,
        `--cpu-prof-name=proxy-${process.pid}.cpuprofile`,
        ...cli.nodeArgs,
      ],
    };
  }
  const berth = new BerthUnderTest(cli, configFile, berthDir, setpriv, ["taskset", "-c", String(PROXY_CPU)]);
  cleanup.add(`berth (pid ${berth.pid})`, () => berth.shutdown());
  await berth.until(
    "its proxy listening",
    () => berth.lines.find((l) => /\[berth\] listening on /.test(l.text)),
    30_000,
  );

  console.log(`backend: nginx ${settings.nginxVersion} on CPU ${LOAD_CPU}, 127.0.0.1:${backendPort}`);
  console.log(`nginx:   proxy on CPU ${PROXY_CPU}, 127.0.0.1:${nginxPort} (pid ${proxyNginx.master.pid})`);
  console.log(`berth:   proxy on CPU ${PROXY_CPU}, 127.0.0.1:${berthPort} (pid ${berth.pid}); ${cli.label}`);
  console.log(
    `wrk ${settings.wrkVersion} on CPU ${LOAD_CPU}; ${settings.rounds} round(s) of ${settings.seconds} s runs\n`,
  );

  const urls: Record<ProxyName, string> = {
    nginx: `http://127.0.0.1:${nginxPort}`,
    berth: `http://127.0.0.1:${berthPort}`,
  };
  for (const [name, base] of [["backend", `http://127.0.0.1:${backendPort}`], ...Object.entries(urls)]) {
    await checkResponses(name!, base!);
  }

  const processes: Record<ProxyName, () => ProcessIdentity[]> = {
    nginx: () => proxyNginx.processes,
    berth: () => (berth.identity ? [berth.identity] : []),
  };
  const alive = () => {
    if (berth.exit)
      throw new Error(
        `berth exited during the bench:\n${berth.lines
          .slice(-15)
          .map((l) => `    ${l.text}`)
          .join("\n")}`,
      );
  };

  // Warm-up (JIT, connection pools), not measured.
  for (const name of ["nginx", "berth"] as const) {
    for (const path of [PATHS.small, PATHS.large]) {
      await runWrk(
        {
          url: urls[name] + path,
          connections: settings.connections,
          seconds: settings.warmupSeconds,
          cpu: LOAD_CPU,
        },
        cleanup,
      );
    }
  }
  alive();

  const samples: Sample[] = [];
  for (let round = 1; round <= settings.rounds; round++) {
    // Alternate who goes first, so neither always runs on a machine the other just warmed.
    const order: ProxyName[] = round % 2 === 1 ? ["nginx", "berth"] : ["berth", "nginx"];
    for (const scenario of settings.scenarios) {
      for (const proxy of order) {
        const connections = scenario.connections ?? settings.connections;
        const sample = await measure(
          proxy,
          scenario,
          round,
          urls[proxy] + scenario.path,
          connections,
          settings.seconds,
          processes[proxy](),
          cleanup,
        );
        alive();
        samples.push(sample);
        console.log(describeSample(sample, settings.rounds));
      }
    }
  }

  const rows = proxyRows(samples, settings);
  console.log(`\n${formatTable(rows, false)}`);
  const errored = samples.filter((s) => s.errors > 0);
  const subset = settings.scenarios.length !== SCENARIOS.length;
  if (values["no-write"] !== true && settings.cli.mode !== "file" && !settings.cpuProfDir && !subset) {
    updateResults("proxy", proxyMarkdown(rows, samples, settings, `127.0.0.1:${backendPort}`));
    console.log(`\nwrote ${RESULTS_FILE}`);
  } else if (values["no-write"] !== true) {
    console.log("\nnot written to bench/RESULTS.md (a subset of scenarios, --cpu-prof or a --cli file)");
  }
  if (settings.cpuProfDir) console.log(`berth's CPU profile goes to ${settings.cpuProfDir} when it stops`);
  return errored.length === 0;
}

async function measure(
  proxy: ProxyName,
  scenario: Scenario,
  round: number,
  url: string,
  connections: number,
  seconds: number,
  who: ProcessIdentity[],
  cleanup: Cleanup,
): Promise<Sample> {
  let maxRssKiB = 0;
  const sampleRss = () => {
    let sum = 0;
    for (const p of who) sum += readMemory(p.pid)?.rssKiB ?? 0;
    maxRssKiB = Math.max(maxRssKiB, sum);
  };
  const ticks = () => who.reduce((sum, p) => sum + (readStat(p.pid)?.cpuTicks ?? 0), 0);
  const cpuBefore = ticks();
  const loadBefore = cpuTimes(LOAD_CPU);
  const proxyCpuBefore = cpuTimes(PROXY_CPU);
  const started = performance.now();
  const timer = setInterval(sampleRss, 100);
  sampleRss();
  try {
    const wrk = await runWrk({ url, connections, seconds, cpu: LOAD_CPU }, cleanup);
    sampleRss();
    const wallS = (performance.now() - started) / 1000;
    const loadAfter = cpuTimes(LOAD_CPU);
    const proxyCpuAfter = cpuTimes(PROXY_CPU);
    const busy = loadAfter.busy - loadBefore.busy;
    const total = loadAfter.total - loadBefore.total;
    const cpuPercent = ((ticks() - cpuBefore) / clockTicksPerSecond() / wallS) * 100;
    const proxyCpuTotal = proxyCpuAfter.total - proxyCpuBefore.total;
    const proxyCpuBusy =
      proxyCpuTotal > 0 ? ((proxyCpuAfter.busy - proxyCpuBefore.busy) / proxyCpuTotal) * 100 : Number.NaN;
    return {
      proxy,
      scenario: scenario.key,
      round,
      connections,
      wrk,
      errors: wrk.socketErrors + wrk.badStatus,
      rssMiB: maxRssKiB / 1024,
      cpuPercent,
      loadCpuPercent: total > 0 ? (busy / total) * 100 : Number.NaN,
      othersOnProxyCpuPercent: Math.max(0, proxyCpuBusy - cpuPercent),
    };
  } finally {
    clearInterval(timer);
  }
}

function describeSample(s: Sample, rounds: number): string {
  const errors =
    s.errors > 0 ? `  ERRORS: ${s.wrk.socketErrors} socket error(s), ${s.wrk.badStatus} status ≥ 400` : "";
  return (
    `round ${s.round}/${rounds} ${s.scenario.padEnd(9)} ${s.proxy.padEnd(5)}: ` +
    `${Math.round(s.wrk.requestsPerSecond).toLocaleString("en-US").padStart(7)} req/s, ` +
    `p50 ${us(s.wrk.p50Us)}, p99 ${us(s.wrk.p99Us)}, ` +
    `RSS ${s.rssMiB.toFixed(1)} MiB, CPU ${s.cpuPercent.toFixed(0)} %, CPU ${LOAD_CPU} ${s.loadCpuPercent.toFixed(0)} % busy, others on CPU ${PROXY_CPU} ${s.othersOnProxyCpuPercent.toFixed(0)} %` +
    errors
  );
}

function us(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(2)} ms` : `${Math.round(n)} µs`;
}

/** One CPU's busy and total time from /proc/stat (jiffies). */
function cpuTimes(cpu: number): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`cpu${cpu} `));
  const n = (line ?? "").trim().split(/\s+/).slice(1).map(Number);
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (n[3] ?? 0) + (n[4] ?? 0);
  return { busy: total - idle, total };
}

/** The small and the 16 KiB response, checked once through each server before any load. */
async function checkResponses(name: string, base: string): Promise<void> {
  for (const [path, length] of [
    [PATHS.small, Buffer.byteLength(SMALL_BODY)],
    [PATHS.large, LARGE_BYTES],
  ] as const) {
    const response = await fetch(base + path);
    const body = Buffer.from(await response.arrayBuffer());
    if (response.status !== 200 || body.length !== length)
      throw new Error(
        `${name}: GET ${path} answered ${response.status} with ${body.length} bytes, not 200 with ${length}`,
      );
  }
}

async function distinctPorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

function subdir(dir: string, name: string): string {
  const path = join(dir, name);
  mkdirSync(path);
  return path;
}

function versionOf(argv: string[], pattern: RegExp): string {
  try {
    const { stdout, stderr } = spawnSyncText(argv);
    return pattern.exec(stdout + stderr)?.[1] ?? "?";
  } catch {
    return "?";
  }
}

function spawnSyncText(argv: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8" });
  return { stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}
