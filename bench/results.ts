// bench/RESULTS.md holds one section per benchmark between markers; a run replaces its own
// section and keeps everything else (other benchmarks, notes written by hand).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const RESULTS_FILE = join(import.meta.dirname, "RESULTS.md");

const HEADER = `# Benchmark results

Written by \`npm run bench\` (see bench/run.ts). Each benchmark replaces only the text between its
own markers; notes outside them are kept.
`;

export function updateResults(name: string, markdown: string, file = RESULTS_FILE): void {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const section = `${start}\n${markdown.trim()}\n${end}`;
  const text = existsSync(file) ? readFileSync(file, "utf8") : HEADER;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  const next =
    from >= 0 && to > from
      ? `${text.slice(0, from)}${section}${text.slice(to + end.length)}`
      : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
}
