// One wrk run (https://github.com/wg/wrk, Debian's package), and what its text output says:
// requests per second, the latency percentiles of --latency, and every kind of error.
import { spawn } from "node:child_process";
import { once } from "node:events";
import type { Cleanup } from "./cleanup.js";

export interface WrkOptions {
  url: string;
  connections: number;
  seconds: number;
  /** The CPU wrk is pinned to (taskset -c). */
  cpu: number;
}

export interface WrkFigures {
  requests: number;
  requestsPerSecond: number;
  /** Latency percentiles, in µs. */
  p50Us: number;
  p99Us: number;
  /** Bytes read per request (head and body): a check that the response was the one meant. */
  bytesPerRequest: number;
  /** connect, read, write and timeout errors, as wrk counts them. */
  socketErrors: number;
  /** Responses with a status of 400 or more (wrk: "Non-2xx or 3xx responses"). */
  badStatus: number;
  /** wrk's output, for the report when something is off. */
  output: string;
}

export function wrkCommand(o: WrkOptions): string[] {
  return [
    "taskset",
    "-c",
    String(o.cpu),
    "wrk",
    "-t1",
    `-c${o.connections}`,
    `-d${o.seconds}s`,
    "--timeout",
    "5s",
    "--latency",
    o.url,
  ];
}

export async function runWrk(o: WrkOptions, cleanup: Cleanup): Promise<WrkFigures> {
  const argv = wrkCommand(o);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  child.on("error", () => {});
  const ended = once(child, "exit");
  const stop = cleanup.add(`wrk (pid ${child.pid})`, async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await ended;
  });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  const [code] = (await ended) as [number | null];
  await stop();
  if (code !== 0) throw new Error(`wrk exited with code ${code}: ${output.trim()}`);
  return parseWrk(output);
}

const UNITS: Record<string, number> = { us: 1, ms: 1000, s: 1_000_000, m: 60_000_000 };
const SIZES: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

function micros(text: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? "");
  return m ? Number(m[1]) * UNITS[m[2]!]! : Number.NaN;
}

export function parseWrk(output: string): WrkFigures {
  const find = (re: RegExp) => re.exec(output);
  const rps = find(/^Requests\/sec:\s+([\d.]+)/m);
  const total = find(/^\s*(\d+) requests in [\d.]+\w+, ([\d.]+)(B|KB|MB|GB) read/m);
  if (!rps || !total) throw new Error(`could not read wrk's output:\n${output}`);
  const socket = find(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const bad = find(/Non-2xx or 3xx responses: (\d+)/);
  const requests = Number(total[1]);
  return {
    requests,
    requestsPerSecond: Number(rps[1]),
    p50Us: micros(find(/^\s+50%\s+(\S+)/m)?.[1]),
    p99Us: micros(find(/^\s+99%\s+(\S+)/m)?.[1]),
    bytesPerRequest: (Number(total[2]) * SIZES[total[3]!]!) / Math.max(1, requests),
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
    badStatus: bad ? Number(bad[1]) : 0,
    output,
  };
}
