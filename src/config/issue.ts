// A ConfigIssue is one problem found in berth.yaml, located by file:line:col and key path so a
// person can go straight to it. Checks produce PathIssues (known by key path only); load.ts
// locates them in the YAML and turns them into ConfigIssues.
import { relative, resolve } from "node:path";

export type PathSegment = string | number;

export interface ConfigIssue {
  /** Absolute path of the config file. */
  file: string;
  /** 1-based. 0 when the issue is about the file as a whole (it could not be read). */
  line: number;
  /** 1-based. 0 with line 0. */
  col: number;
  /** Key path like `services.web.depends_on[0]`; "" for the document itself. */
  path: string;
  message: string;
  severity: "error" | "warning";
}

/** An issue known by its key path, before it is located in the YAML text. */
export interface PathIssue {
  path: PathSegment[];
  message: string;
  severity: "error" | "warning";
  /** Point at the key itself rather than its value (unknown keys, bad names). */
  at?: "key";
}

export function error(path: PathSegment[], message: string, at?: "key"): PathIssue {
  return at ? { path, message, severity: "error", at } : { path, message, severity: "error" };
}

export function warning(path: PathSegment[], message: string): PathIssue {
  return { path, message, severity: "warning" };
}

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** `services.web.depends_on[0]`; odd keys quoted: `services.web.env["a.b"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/**
 * `berth.yaml:14:5 services.web.stop.timeout: expected a duration like "10s"`, with
 * `warning: ` after the location for warnings. An issue about the whole file (line 0) names
 * the file in its message and is printed without a location.
 */
export function formatIssue(issue: ConfigIssue, cwd: string = process.cwd()): string {
  const parts: string[] = [];
  if (issue.line > 0) {
    parts.push(`${relative(cwd, resolve(issue.file))}:${issue.line}:${issue.col}`);
  }
  if (issue.severity === "warning") parts.push("warning:");
  parts.push(issue.path ? `${issue.path}: ${issue.message}` : issue.message);
  return parts.join(" ");
}

/** Document order, so a long list of issues reads top to bottom like the file. */
export function byPosition(a: ConfigIssue, b: ConfigIssue): number {
  return a.line - b.line || a.col - b.col;
}
