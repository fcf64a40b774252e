// `npm run bench [-- name… [options]]`: runs the named benchmarks, or all of them, one after
// another. A benchmark is a module exporting a Benchmark (bench/benchmark.ts); add it to
// BENCHMARKS below. Ctrl-C (or SIGTERM/SIGHUP) stops the current one and cleans up what it
// started before exiting.
import { parseArgs } from "node:util";
import { type Benchmark, type OptionSpecs, UsageError } from "./benchmark.js";
import { Cleanup } from "./cleanup.js";
import { proxyBenchmark } from "./proxy.js";
import { supervisorBenchmark } from "./supervisor.js";

const BENCHMARKS: Benchmark[] = [supervisorBenchmark, proxyBenchmark];

const COMMON: OptionSpecs = { help: { type: "boolean", short: "h" } };

function usage(): string {
  const lines = [
    "usage: npm run bench [-- [name…] [options]]   (no name: every benchmark)",
    "",
    "benchmarks:",
    ...BENCHMARKS.map((b) => `  ${b.name.padEnd(12)} ${b.summary}`),
    "",
    "options:",
    "  -h, --help     this text",
    ...BENCHMARKS.flatMap((b) => b.help.map((line) => `  ${line}`)),
  ];
  return `${lines.join("\n")}\n`;
}

function parse(argv: string[]): { selected: Benchmark[]; values: Record<string, unknown> } {
  const options: OptionSpecs = Object.assign({}, COMMON, ...BENCHMARKS.map((b) => b.options));
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const selected = parsed.positionals.map((name) => {
    const found = BENCHMARKS.find((b) => b.name === name);
    if (!found) {
      throw new UsageError(
        `no benchmark named "${name}" (there are: ${BENCHMARKS.map((b) => b.name).join(", ")})`,
      );
    }
    return found;
  });
  return { selected: selected.length > 0 ? selected : BENCHMARKS, values: parsed.values };
}

async function main(): Promise<number> {
  let selected: Benchmark[];
  let values: Record<string, unknown>;
  try {
    ({ selected, values } = parse(process.argv.slice(2)));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n\n${usage()}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(usage());
    return 0;
  }

  const cleanup = new Cleanup();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      process.stderr.write(`bench: ${signal} again: still cleaning up, please wait\n`);
      return;
    }
    interrupted = true;
    process.stderr.write(`\nbench: ${signal}: stopping what the benchmark started\n`);
    void cleanup.runAll().then(() => process.exit(130));
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);

  let ok = true;
  for (const benchmark of selected) {
    process.stdout.write(`\n== ${benchmark.name}: ${benchmark.summary}\n`);
    try {
      ok = (await benchmark.run({ values: values as never, cleanup })) && ok;
    } catch (error) {
      ok = false;
      const message = error instanceof UsageError ? error.message : ((error as Error).stack ?? String(error));
      process.stderr.write(`bench: ${benchmark.name}: ${message}\n`);
    } finally {
      await cleanup.runAll();
    }
  }
  return ok ? 0 : 1;
}

process.exitCode = await main();
