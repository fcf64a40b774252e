import { type ChildProcess, spawn } from "node:child_process";
import { LineSplitter } from "../log-sink.js";
import type { CgroupTree } from "./cgroup-tree.js";
import { findSetpriv, resolveExecutable } from "./executable.js";
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
  /** Set once per berth run; every process started carries `<runId>/<instance>` as its marker. */
  runId: string;
  /** Where available, each instance also runs in a cgroup of its own. */
  cgroups?: CgroupTree;
}

/** Runs an Instance as a plain process: its own session and process group, output piped line by line. */
export class ProcessRuntime implements Runtime {
  constructor(private readonly options: ProcessRuntimeOptions) {}

  async start(spec: InstanceSpec): Promise<RunningInstance> {
    const [name, ...args] = spec.argv;
    if (!name) throw new StartError("the command is empty");
    const executable = resolveExecutable(name, spec.cwd, spec.env.PATH);
    // --pdeathsig: if berth is SIGKILLed, the kernel kills the child too.
    const setpriv = findSetpriv();
    const program = (await this.options.cgroups?.wrap(spec.instance, [executable, ...args])) ?? [
      executable,
      ...args,
    ];
    const argv = setpriv ? [setpriv, "--pdeathsig", "KILL", "--", ...program] : program;
    const marker = `${this.options.runId}/${spec.instance}`;
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: spec.cwd,
      env: { ...spec.env, [MARKER_VAR]: marker },
      // detached = setsid(): its own session and process group, so signals reach the
      // whole group and a Ctrl-C in berth's terminal reaches only berth.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      argv0: name,
    });
    await spawned(child, spec.cwd);
    const pid = child.pid!;
    pipeLines(child, "stdout", spec);
    pipeLines(child, "stderr", spec);
    const { sweeper, cgroups } = this.options;
    return {
      label: `pid ${pid}`,
      pid,
      ended: new Promise<RunEnd>((resolve) => {
        child.once("exit", (code, signal) => resolve({ code, signal }));
      }),
      signal(signal) {
        try {
          process.kill(-pid, signal);
        } catch {
          // ESRCH: the group is already gone.
        }
      },
      async cleanup() {
        // The cgroup holds everything the instance started; the marker finds them too where
        // there are no cgroups; the group kill is for any that cleared their environment.
        try {
          process.kill(-pid, "SIGKILL");
        } catch {}
        const [inCgroup, marked] = await Promise.all([
          cgroups?.empty(spec.instance) ?? [],
          sweeper.sweep((m) => m === marker),
        ]);
        return new Set([...inCgroup, ...marked]).size;
      },
    };
  }
}

function spawned(child: ChildProcess, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", (error: NodeJS.ErrnoException) => {
      const reason = error.code === "ENOENT" ? `working directory ${cwd} does not exist` : error.message;
      reject(new StartError(reason));
    });
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
