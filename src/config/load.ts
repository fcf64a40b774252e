// The config subsystem's entry: berth.yaml text → Config, or every problem found, each located
// at file:line:col. Stages: YAML (syntax) → schema (shapes, formats, unknown keys) → normalize
// (defaults, ms, argv, absolute paths) → rules (what spans keys and services).
import { readFile } from "node:fs/promises";
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import type { Config } from "./config.js";
import { byPosition, type ConfigIssue, error, formatPath, type PathIssue } from "./issue.js";
import { normalize } from "./normalize.js";
import { checkRules } from "./rules.js";
import { NO_SERVICES, writtenConfigSchema } from "./schema.js";
import { parseYaml } from "./yaml-source.js";
import { fromZodIssues } from "./zod-issues.js";

export type { ConfigIssue } from "./issue.js";
export { formatIssue } from "./issue.js";

export interface LoadResult {
  /** Present iff no issue has severity "error". */
  config?: Config;
  issues: ConfigIssue[];
}

export interface ParseOptions {
  /** Berth's environment, for warning about ${VAR}s that nothing sets. Default: process.env. */
  env?: Record<string, string | undefined>;
  /**
   * Warn about a command, ready.exec or cwd that cannot be found on this machine. Default: true;
   * tests of other rules turn it off, so their made-up programs do not add warnings.
   */
  checkFiles?: boolean;
}

export async function loadConfig(file: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    return { issues: [unreadable(file, e as NodeJS.ErrnoException)] };
  }
  return parseConfigText(text, file);
}

/** As loadConfig, from text; `file` names the file in issues and anchors relative paths. */
export function parseConfigText(text: string, file: string, options: ParseOptions = {}): LoadResult {
  const abs = resolve(file);
  const source = parseYaml(text);
  const found: PathIssue[] = [...source.issues];
  let config: Config | undefined;

  if (source.data == null) {
    // Syntax errors leave no data; an empty file (or only comments) is a config with nothing in it.
    if (source.data === null || (source.data === undefined && found.every((i) => i.severity !== "error"))) {
      found.push(error([], NO_SERVICES));
    }
  } else {
    const parsed = writtenConfigSchema.safeParse(source.data);
    const schemaIssues = parsed.success
      ? []
      : fromZodIssues(parsed.error.issues, writtenConfigSchema, source.data);
    found.push(...schemaIssues);
    const normalized = normalize(source.data, schemaIssues, abs, found);
    if (normalized) {
      checkRules(normalized, options.env ?? process.env, found, options.checkFiles ?? true);
      config = normalized.config;
    }
  }

  const issues = found
    .map((issue): ConfigIssue => {
      const { line, col } = source.positions.get(issue) ?? source.locate(issue.path, issue.at);
      return {
        file: abs,
        line,
        col,
        path: formatPath(issue.path),
        message: issue.message,
        severity: issue.severity,
      };
    })
    .sort(byPosition);
  const ok = issues.every((i) => i.severity !== "error");
  return ok && config ? { config, issues } : { issues };
}

// The file could not be read at all: one issue, naming the file (relative to the working
// directory when it is below it, as the user would type it), with the next step.
function unreadable(file: string, e: NodeJS.ErrnoException): ConfigIssue {
  const below = relative(process.cwd(), resolve(file));
  const shown = below === "" ? "." : !below.startsWith("..") && !isAbsolute(below) ? below : file;
  const reasons: Record<string, string> = {
    ENOENT: `ENOENT: no such file (pass -c PATH, or create ${basename(file)})`,
    EISDIR: `EISDIR: it is a directory (pass the file itself, like -c ${join(shown, "berth.yaml")})`,
    EACCES:
      "EACCES: permission denied (check the file's permissions, or run berth as a user who can read it)",
  };
  const reason = (e.code && reasons[e.code]) ?? e.message;
  return {
    file: resolve(file),
    line: 0,
    col: 0,
    path: "",
    message: `cannot read ${shown}: ${reason}`,
    severity: "error",
  };
}
