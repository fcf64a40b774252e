import { type ChildProcess, spawn } from "node:child_process";
import { LineSplitter } from "../log-sink.js";
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
    const argv = setpriv
      ? [setpriv, "--pdeathsig", "KILL", "--", executable, ...args]
      : [executable, ...args];
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
    const sweeper = this.options.sweeper;
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
      cleanup() {
        // The sweep finds the group's members and the ones that left it by their marker;
        // the group kill is for any that cleared their environment.
        try {
          process.kill(-pid, "SIGKILL");
        } catch {}
        return sweeper.sweep((m) => m === marker);
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
