import { accessSync, closeSync, constants, openSync, readSync, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { StartError } from "./runtime.js";

/**
 * Resolves a command name the way execvp would, so a missing program is reported by
 * name before anything is spawned (a wrapper like setpriv would otherwise report it
 * as a bare exit code 127). A script's `#!` interpreter is checked too: exec would fail on
 * it with a message that names neither the script nor the interpreter.
 */
export function resolveExecutable(name: string, cwd: string, pathVar: string | undefined): string {
  const candidates = name.includes("/")
    ? [isAbsolute(name) ? name : resolve(cwd, name)]
    : (pathVar ?? "").split(delimiter).map((dir) => join(dir || ".", name));
  for (const candidate of candidates) {
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    checkInterpreter(name, candidate, cwd);
    return candidate;
  }
  if (name.includes("/")) throw new StartError(whyNotRunnable(name, candidates[0]!));
  throw new StartError(`executable "${name}" not found in PATH (${pathVar ?? "PATH is not set"})`);
}

/** Why the program at `path` (written as `name`, which contains a /) cannot be run. */
function whyNotRunnable(name: string, path: string): string {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return `"${name}" does not exist (looked at ${path})`;
    if (code === "ENOTDIR")
      return `"${name}" does not exist: part of its path is not a directory (looked at ${path})`;
    return `"${name}" cannot be run: ${(e as Error).message}`;
  }
  if (!isFile) return `"${name}" is a directory, not a program (looked at ${path})`;
  return `"${name}" is not executable (chmod +x ${name})`;
}

/**
 * For a file that starts with `#!`: that its interpreter (the first word after `#!`, as the
 * kernel reads it) exists and is executable. A file berth cannot read is left to exec.
 */
function checkInterpreter(name: string, file: string, cwd: string): void {
  const interpreter = shebangInterpreter(file);
  if (interpreter === undefined || isExecutableFile(resolve(cwd, interpreter))) return;
  // A stray \r (a file saved with Windows line endings) would be invisible: show it quoted.
  const shown = /\p{Cc}/u.test(interpreter) ? JSON.stringify(interpreter) : interpreter;
  const crlf = interpreter.endsWith("\r")
    ? " (its first line ends in \\r: save it with Unix line endings)"
    : "";
  throw new StartError(
    `"${name}" is a script for ${shown}, which does not exist or is not executable${crlf}`,
  );
}

// The kernel reads at most this much of the #! line (BINPRM_BUF_SIZE).
const SHEBANG_BYTES = 256;

/** The interpreter named by a `#!` line; undefined when there is none or the file cannot be read. */
export function shebangInterpreter(file: string): string | undefined {
  const head = Buffer.alloc(SHEBANG_BYTES);
  let length: number;
  try {
    const fd = openSync(file, "r");
    try {
      length = readSync(fd, head, 0, SHEBANG_BYTES, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const text = head.subarray(0, length).toString("utf8");
  if (!text.startsWith("#!")) return undefined;
  // As the kernel does: skip blanks, then the interpreter ends at a blank or the line's end.
  const interpreter = /^#![ \t]*([^ \t\n\0]*)/.exec(text)?.[1];
  return interpreter ? interpreter : undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let setprivPath: string | null | undefined;

/** setpriv (util-linux), used to have the kernel kill a child when berth dies; null when absent. */
export function findSetpriv(): string | null {
  if (setprivPath === undefined) {
    try {
      setprivPath = resolveExecutable("setpriv", "/", process.env.PATH ?? "/usr/bin:/bin");
    } catch {
      setprivPath = null;
    }
  }
  return setprivPath;
}
