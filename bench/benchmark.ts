// What every benchmark in bench/ provides, and the small helpers they share: statistics over
// repeated runs and a plain-text table.
import type { ParseArgsConfig } from "node:util";
import type { Cleanup } from "./cleanup.js";

export type OptionSpecs = NonNullable<ParseArgsConfig["options"]>;
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface BenchContext {
  /** The parsed command-line options (every benchmark's options, merged). */
  values: OptionValues;
  /** Where a benchmark registers how to undo what it started; run on success, failure and Ctrl-C. */
  cleanup: Cleanup;
}

export interface Benchmark {
  name: string;
  summary: string;
  options: OptionSpecs;
  /** One line per option for --help. */
  help: string[];
  /** Resolves false if a run could not be completed (goal misses are reported, not failures). */
  run(context: BenchContext): Promise<boolean>;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: number[]): Spread {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** A table with a header row, as aligned plain text or as Markdown. */
export function formatTable(rows: string[][], markdown: boolean): string {
  if (markdown) {
    const [head = [], ...body] = rows;
    const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
    return [line(head), line(head.map(() => "---")), ...body.map(line)].join("\n");
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function positiveInteger(value: unknown, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--${option} wants a positive whole number, not "${value}"`);
  return n;
}

export function positiveNumber(value: unknown, option: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${option} wants a positive number, not "${value}"`);
  return n;
}

/** A mistake in the command line: printed without a stack, with a pointer to --help. */
export class UsageError extends Error {
  override name = "UsageError";
}
