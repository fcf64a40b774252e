// Ready when every one of several probes passes, tried in order: the first failure is the
// reason, and the later ones are not run (a health status is not asked before the port answers).
import { abortedResult } from "./aborted-result.js";
import type { Probe, ProbeResult, ProbeTarget } from "./probe.js";

export class AllProbes implements Probe {
  constructor(private readonly probes: readonly Probe[]) {}

  async run(target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
    for (const probe of this.probes) {
      if (signal.aborted) return abortedResult;
      const result = await probe.run(target, signal);
      if (!result.ok) return result;
    }
    return { ok: true };
  }
}
