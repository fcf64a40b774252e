import { formatDuration } from "../lib/durations.js";
import type { SupervisorEvent } from "./events.js";
import { describeExit } from "./exit-status.js";

/** berth's own words for a SupervisorEvent, as shown in its output and the service's log file. */
export function describeEvent(event: SupervisorEvent): string {
  switch (event.type) {
    case "InstanceStarted":
      return `started (${event.label}${event.port === undefined ? "" : `, port ${event.port}`})`;
    case "InstanceReady":
      return `ready in ${formatDuration(event.afterMs)}`;
    case "InstanceStartFailed":
      return event.reason;
    case "InstanceExited":
      return `${describeExit(event.status)} after ${formatDuration(event.status.ranMs)}`;
    case "InstanceStopping":
      return `stopping: ${event.reason}`;
    case "InstanceStopSignal":
      return event.atMs > 0
        ? `sending ${event.signal} (${formatDuration(event.atMs)} into the stop)`
        : `sending ${event.signal}`;
    case "InstanceStopped": {
      const took = formatDuration(event.afterMs);
      if (event.status.signal) return `stopped by ${event.status.signal} after ${took}`;
      return `stopped after ${took} (${describeExit(event.status)} after ${event.signal ?? "its stop signal"})`;
    }
    case "InstanceLeftoversKilled":
      return `killed ${event.count} leftover process${event.count === 1 ? "" : "es"} it had started`;
    case "ServiceBackoff":
      return `restarting in ${formatDuration(event.delayMs)} (recent exits: ${event.recentExits})`;
    case "ServiceWaiting":
      return `waiting for ${event.waitingFor.join(", ")} to be ready`;
  }
}

/** The instance a line belongs to; a ServiceWaiting line is the service's. */
export function eventSubject(event: SupervisorEvent): string {
  return "instance" in event ? event.instance : event.service;
}
