// Ready when a command exits 0. Its output is discarded: probes run often and would flood the log.
import { spawn } from "node:child_process";
import { abortedResult } from "./aborted-result.js";
import type { Probe, ProbeResult, ProbeTarget } from "./probe.js";

export class ExecProbe implements Probe {
  constructor(private readonly argv: string[]) {}

  run(target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
    const [file, ...args] = this.argv;
    if (file === undefined) return Promise.resolve({ ok: false, reason: "no command to run" });
    if (signal.aborted) return Promise.resolve(abortedResult);
    return new Promise((resolve) => {
      // detached: its own process group, so a timed-out `sh -c "..."` is killed with its children.
      const child = spawn(file, args, { cwd: target.cwd, env: target.env, stdio: "ignore", detached: true });
      let settled = false;
      const finish = (result: ProbeResult) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", onAbort);
        resolve(result);
      };
      const onAbort = () => {
        killGroup(child.pid);
        finish(abortedResult);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      child.once("error", (error) => finish({ ok: false, reason: error.message }));
      child.once("exit", (code, signalName) => {
        if (code === 0) finish({ ok: true });
        else if (code !== null) finish({ ok: false, reason: `exit code ${code}` });
        else finish({ ok: false, reason: `killed by ${signalName}` });
      });
    });
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone: nothing left to stop.
  }
}
