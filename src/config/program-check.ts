// Whether the programs a service runs (command, ready.exec) and its cwd exist, looked up as they
// will be when an instance starts. Only warnings: berth may run on another machine, later, with
// another PATH or after a build step creates the files.
import { statSync } from "node:fs";
import { resolveExecutable } from "../supervisor/runtime/executable.js";
import { expandEnv } from "./expand.js";
import { type PathIssue, type PathSegment, warning } from "./issue.js";
import type { NormalizedService } from "./normalize.js";

const LATER = "the service will not start unless that is fixed when berth runs";

export function checkProgramsExist(
  { config, broken, written }: NormalizedService,
  env: Record<string, string | undefined>,
  issues: PathIssue[],
): void {
  const base: PathSegment[] = ["services", config.name];
  const cwdProblem = directoryProblem(config.cwd);
  const cwdExists = cwdProblem === undefined;
  // Unwritten, cwd is the config file's directory: it exists whenever the file could be read.
  if (cwdProblem && written.cwd !== undefined && !config.container)
    issues.push(warning([...base, "cwd"], `${cwdProblem}; ${LATER}`));
  const pathVar = servicePath(config.env, env, broken);
  // A relative program is looked up in cwd: with no cwd, the warning about cwd says it all.
  const check = (program: string | undefined, path: PathSegment[]) => {
    if (program === undefined || program.includes("${") || pathVar === null) return;
    if (program.includes("/") && !program.startsWith("/") && !cwdExists) return;
    try {
      resolveExecutable(program, config.cwd, pathVar);
    } catch (e) {
      issues.push(warning(path, `${(e as Error).message}; ${LATER}`));
    }
  };
  // An image service's command runs inside its container, where berth cannot look.
  if (!broken.has("command") && !config.container) check(config.command[0], [...base, "command"]);
  if (!broken.has("ready") && config.ready.kind === "exec") {
    check(config.ready.argv[0], [...base, "ready", "exec"]);
  }
}

/** The PATH instances will see: berth's, unless env.PATH sets it; null when it cannot be known yet. */
function servicePath(
  serviceEnv: Record<string, string>,
  env: Record<string, string | undefined>,
  broken: ReadonlySet<string>,
): string | undefined | null {
  if (!Object.hasOwn(serviceEnv, "PATH")) return env.PATH;
  if (broken.has("env")) return null;
  try {
    return expandEnv(serviceEnv, env).PATH;
  } catch {
    return null; // it uses a ${VAR} that is not set (warned about on its own) or ${PORT}
  }
}

function directoryProblem(path: string): string | undefined {
  try {
    return statSync(path).isDirectory() ? undefined : `${path} is not a directory`;
  } catch {
    return `the directory ${path} does not exist`;
  }
}
