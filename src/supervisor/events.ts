import type { RestartMode } from "../config/config.js";
import type { ExitStatus } from "./exit-status.js";

// What the supervisor tells the rest of berth (the log, the proxy, the admin API).

/** Which instance: as events and the drain hook name it. */
export interface InstanceRef {
  service: string;
  /** "web#1" */
  instance: string;
}

export type SupervisorEvent =
  | (InstanceRef & { type: "InstanceStarted"; label: string; port?: number })
  | (InstanceRef & { type: "InstanceReady"; port?: number; afterMs: number })
  | (InstanceRef & { type: "InstanceNotReady"; afterMs: number; reason: string })
  /** `repeated`: the same reason as the attempt before. */
  | (InstanceRef & { type: "InstanceStartFailed"; reason: string; repeated: boolean })
  | (InstanceRef & {
      type: "InstanceExited";
      status: ExitStatus;
      willRestart: boolean;
      restartMode: RestartMode;
    })
  /** A stop began: the instance leaves rotation, and its requests in flight get up to `timeoutMs`. */
  | (InstanceRef & { type: "InstanceDraining"; timeoutMs: number })
  /** The requests had not finished after `timeoutMs`: the stop ladder starts all the same. */
  | (InstanceRef & { type: "InstanceDrainTimedOut"; timeoutMs: number })
  | (InstanceRef & { type: "InstanceStopSignal"; signal: NodeJS.Signals; atMs: number })
  | (InstanceRef & {
      type: "InstanceStopped";
      signal?: NodeJS.Signals;
      afterMs: number;
      /** Of afterMs, the time spent waiting for requests in flight before the first signal. */
      drainedMs?: number;
      status: ExitStatus;
    })
  | (InstanceRef & { type: "InstanceLeftoversKilled"; count: number })
  | (InstanceRef & { type: "InstanceBackoff"; delayMs: number; reason: string; recentExits: string })
  | { type: "ServiceWaiting"; service: string; waitingFor: string[] }
  /** Every instance has ended for good (restart: never / on-failure); `neverStarted` waited for one of them. */
  | { type: "SupervisorIdle"; neverStarted: string[] };

export type SupervisorEventListener = (event: SupervisorEvent) => void;
