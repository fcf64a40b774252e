// Ready when the engine says the container is healthy: its image's HEALTHCHECK has passed.
// The engine runs the check itself, inside the container; this only reads the verdict.
import type { EngineClient } from "../../docker/engine-client.js";
import { abortedResult } from "./aborted-result.js";
import type { Probe, ProbeResult } from "./probe.js";

export class HealthStatusProbe implements Probe {
  constructor(
    private readonly engine: EngineClient,
    private readonly containerId: string,
  ) {}

  async run(_target: unknown, signal: AbortSignal): Promise<ProbeResult> {
    if (signal.aborted) return abortedResult;
    try {
      const { State } = await this.engine.inspectContainer(this.containerId);
      if (signal.aborted) return abortedResult;
      const status = State.Health?.Status ?? "none";
      if (status === "healthy") return { ok: true };
      if (!State.Running) return { ok: false, reason: `the container is ${State.Status}` };
      const last = State.Health?.Log?.at(-1)?.Output.trim();
      return {
        ok: false,
        reason: `the image's HEALTHCHECK says ${status}${last ? ` (last check: ${last.slice(0, 200)})` : ""}`,
      };
    } catch (error) {
      return { ok: false, reason: (error as Error).message };
    }
  }
}
