// A Probe is one readiness test against one Instance; HealthCheck decides when to run it.
import type { ProbeConfig } from "../../config/config.js";
import { ExecProbe } from "./exec-probe.js";
import { HttpProbe } from "./http-probe.js";
import { TcpProbe } from "./tcp-probe.js";

/** Where an Instance can be reached, and the environment an exec probe runs in. */
export interface ProbeTarget {
  host: string;
  port?: number;
  cwd: string;
  /** The complete environment for an exec probe (not merged with berth's own). */
  env: Record<string, string>;
}

/** `reason` reads as the tail of a sentence: "connect ECONNREFUSED 127.0.0.1:4000", "GET /healthz: 500". */
export type ProbeResult = { ok: true } | { ok: false; reason: string };

export interface Probe {
  /** Never rejects; resolves soon after `signal` aborts. */
  run(target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult>;
}

/** The probe for a readiness config; undefined for kind "none" (ready as soon as it runs). */
export function createProbe(config: ProbeConfig): Probe | undefined {
  switch (config.kind) {
    case "tcp":
      return new TcpProbe();
    case "http":
      return new HttpProbe(config.path);
    case "exec":
      return new ExecProbe(config.argv);
    case "none":
      return undefined;
  }
}
