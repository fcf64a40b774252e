import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { StartError } from "./runtime.js";

/**
 * Resolves a command name the way execvp would, so a missing program is reported by
 * name before anything is spawned (a wrapper like setpriv would otherwise report it
 * as a bare exit code 127).
 */
export function resolveExecutable(name: string, cwd: string, pathVar: string | undefined): string {
  const candidates = name.includes("/")
    ? [isAbsolute(name) ? name : resolve(cwd, name)]
    : (pathVar ?? "").split(delimiter).map((dir) => join(dir || ".", name));
  for (const candidate of candidates) {
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  if (name.includes("/")) {
    throw new StartError(
      `executable "${name}" does not exist or is not executable (looked at ${candidates[0]})`,
    );
  }
  throw new StartError(`executable "${name}" not found in PATH (${pathVar ?? "PATH is not set"})`);
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
