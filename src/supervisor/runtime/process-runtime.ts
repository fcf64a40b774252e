import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import type { CgroupTree } from "./cgroup-tree.js";
import { findSetpriv, resolveExecutable } from "./executable.js";
import { LineSplitter } from "./line-splitter.js";
import { MARKER_VAR, type ProcessSweeper } from "./process-sweeper.js";
import {
  type InstanceSpec,
  type OutputStream,
  type RunEnd,
  type RunningInstance,
  type Runtime,
  StartError,
} from "./runtime.js";

export interface ProcessRuntimeOptions {
  sweeper: ProcessSweeper;
  /** Where available, each instance also runs in a cgroup of its own. */
  cgroups?: CgroupTree;
}

/** Runs an Instance as a plain process: its own session and process group, output piped line by line. */
export class ProcessRuntime implements Runtime {
  constructor(private readonly options: ProcessRuntimeOptions) {}

  async start(spec: InstanceSpec): Promise<RunningInstance> {
    const [name, ...args] = spec.argv;
    if (!name) throw new StartError("the command is empty");
    if (!existsSync(spec.cwd)) throw new StartError(`the working directory ${spec.cwd} does not exist`);
    const executable = resolveExecutable(name, spec.cwd, spec.env.PATH);
    const { sweeper, cgroups } = this.options;
    const cgroup = (await cgroups?.prepare(spec.instance)) ? cgroups : undefined;
    // --pdeathsig: if berth is SIGKILLed, the kernel kills the child too.
    const setpriv = findSetpriv();
    const argv = setpriv
      ? [setpriv, "--pdeathsig", "KILL", "--", executable, ...args]
      : [executable, ...args];
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: spec.cwd,
      env: spec.env,
      // detached = setsid(): its own session and process group, so signals reach the
      // whole group and a Ctrl-C in berth's terminal reaches only berth.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      argv0: name,
    });
    if (child.pid !== undefined) cgroup?.place(spec.instance, child.pid);
    await spawned(child);
    const pid = child.pid!;
    pipeLines(child, "stdout", spec);
    pipeLines(child, "stderr", spec);
    const marker = spec.env[MARKER_VAR];
    const inCgroup = () => cgroups?.members(spec.instance) ?? [];
    return {
      label: `pid ${pid}`,
      pid,
      ended: new Promise<RunEnd>((resolve) => {
        child.once("exit", (code, signal) => resolve({ code, signal }));
      }),
      signal(signal) {
        // The cgroup holds the group and whatever left it; without one, the group is all there is.
        const members = inCgroup();
        for (const target of members.length > 0 ? members : [-pid]) {
          try {
            process.kill(target, signal);
          } catch {
            // ESRCH: already gone.
          }
        }
      },
      alive() {
        try {
          process.kill(-pid, 0);
          return true;
        } catch {
          return inCgroup().length > 0;
        }
      },
      async cleanup() {
        // The cgroup holds everything the instance started; the marker finds them too where
        // there are no cgroups; the group kill is for any that cleared their environment.
        try {
          process.kill(-pid, "SIGKILL");
        } catch {}
        const [killedInCgroup, marked] = await Promise.all([
          cgroups?.empty(spec.instance) ?? [],
          marker ? sweeper.sweep((m) => m === marker) : [],
        ]);
        return new Set([...killedInCgroup, ...marked]).size;
      },
    };
  }
}

function spawned(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", (error) => reject(new StartError(error.message)));
  });
}

function pipeLines(child: ChildProcess, stream: OutputStream, spec: InstanceSpec): void {
  const splitter = new LineSplitter();
  const source = child[stream]!;
  source.on("data", (chunk: Buffer) => {
    for (const line of splitter.push(chunk)) spec.onOutput(stream, line);
  });
  source.on("end", () => {
    for (const line of splitter.flush()) spec.onOutput(stream, line);
  });
}
