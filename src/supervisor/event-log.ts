import { formatDuration } from "../lib/durations.js";

/** Durations as a person reads them in a log: whole milliseconds, or seconds to two decimals. */
const took = (ms: number) =>
  ms < 0.5 ? "0ms" : formatDuration(ms < 1000 ? Math.round(ms) : Math.round(ms / 10) * 10);

import type { SupervisorEvent } from "./events.js";
import { describeExit } from "./exit-status.js";

/**
 * Events berth does not print: they happen on every stop and say nothing a user needs (the
 * lines that follow do). describeEvent still has words for them, for whoever asks.
 */
const QUIET: ReadonlySet<SupervisorEvent["type"]> = new Set(["InstanceDraining"]);

/** Whether berth's output and log files leave this event out. */
export function isQuiet(event: SupervisorEvent): boolean {
  return QUIET.has(event.type);
}

/** berth's own words for a SupervisorEvent, as shown in its output and the service's log file. */
export function describeEvent(event: SupervisorEvent): string {
  switch (event.type) {
    case "InstanceStarted":
      return `started (${event.label}${event.port === undefined ? "" : `, port ${event.port}`})`;
    case "InstanceReady":
      return `ready in ${took(event.afterMs)}`;
    case "InstanceNotReady":
      return `not ready after ${took(event.afterMs)}; the readiness check says: ${event.reason}`;
    case "InstanceStartFailed":
      return event.repeated ? "failed to start again, for the same reason" : event.reason;
    case "InstanceExited": {
      const exit = `${describeExit(event.status)} after ${took(event.status.ranMs)}`;
      return event.willRestart ? exit : `${exit}; not restarted (restart: ${event.restartMode})`;
    }
    case "InstanceDraining":
      return `leaving rotation; waiting up to ${took(event.timeoutMs)} for its requests in flight`;
    case "InstanceDrainTimedOut":
      return `requests still in flight after ${took(event.timeoutMs)}; stopping anyway`;
    case "InstanceStopSignal":
      return event.atMs > 0
        ? `sending ${event.signal} (${took(event.atMs)} into the stop)`
        : `sending ${event.signal}`;
    case "InstanceStopped": {
      const draining = event.drainedMs ? `${took(event.drainedMs)} of it draining; ` : "";
      const after = took(event.afterMs);
      if (event.status.signal) {
        return `stopped by ${event.status.signal} after ${after}${draining ? ` (${draining.slice(0, -2)})` : ""}`;
      }
      return `stopped after ${after} (${draining}${describeExit(event.status)} after ${event.signal ?? "its stop signal"})`;
    }
    case "InstanceLeftoversKilled":
      return `killed ${event.count} leftover process${event.count === 1 ? "" : "es"} it had started`;
    case "InstanceBackoff":
      return `restarting in ${took(event.delayMs)} (recent exits: ${event.recentExits})`;
    case "SupervisorIdle": {
      const waiting = event.neverStarted.length
        ? `; ${event.neverStarted.join(", ")} will not start, since what it depends on has ended`
        : "";
      return `no service is running any more${waiting}; berth stays up until Ctrl-C or SIGTERM`;
    }
    case "ServiceWaiting":
      return `waiting for ${event.waitingFor.join(", ")} to be ready`;
  }
}

/** The instance a line belongs to; a ServiceWaiting line is the service's; undefined for berth's own. */
export function eventSubject(event: SupervisorEvent): string | undefined {
  if ("instance" in event) return event.instance;
  return "service" in event ? event.service : undefined;
}
