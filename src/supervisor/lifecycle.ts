// The Instance lifecycle as a pure transition table: (state, event) -> (next state, effects).
// No I/O here; instance.ts performs the effects. Every pair is tested in lifecycle.test.ts.

export type InstanceState = "idle" | "starting" | "running" | "ready" | "stopping" | "exited" | "backoff";

export const INSTANCE_STATES: readonly InstanceState[] = [
  "idle",
  "starting",
  "running",
  "ready",
  "stopping",
  "exited",
  "backoff",
];

export type LifecycleEvent =
  | { type: "start" }
  /** The runtime created the process/container. */
  | { type: "spawned" }
  /** The runtime could not create it; `restart` is the RestartPolicy's verdict. */
  | { type: "spawn_failed"; restart: boolean }
  | { type: "probe_passed" }
  /** The process/container ended; `restart` is the RestartPolicy's verdict. */
  | { type: "exited"; restart: boolean }
  | { type: "stop" }
  | { type: "backoff_elapsed" };

export const LIFECYCLE_EVENT_TYPES: readonly LifecycleEvent["type"][] = [
  "start",
  "spawned",
  "spawn_failed",
  "probe_passed",
  "exited",
  "stop",
  "backoff_elapsed",
];

export type Effect =
  | "spawn"
  | "start_probe"
  | "stop_probe"
  | "start_stop_ladder"
  | "cancel_stop_ladder"
  | "schedule_restart"
  | "cancel_restart";

export interface Transition {
  next: InstanceState;
  effects: Effect[];
}

const stay = (state: InstanceState): Transition => ({ next: state, effects: [] });

function afterEnd(restart: boolean, extra: Effect[]): Transition {
  return restart
    ? { next: "backoff", effects: [...extra, "schedule_restart"] }
    : { next: "exited", effects: extra };
}

/**
 * Events that make no sense in a state (a probe result after the process died, a
 * second stop) leave the state unchanged with no effects: they are stale, not errors.
 */
export function transition(state: InstanceState, event: LifecycleEvent): Transition {
  switch (state) {
    case "idle":
    case "exited":
      return event.type === "start" ? { next: "starting", effects: ["spawn"] } : stay(state);

    case "starting":
      switch (event.type) {
        case "spawned":
          return { next: "running", effects: ["start_probe"] };
        case "spawn_failed":
          return afterEnd(event.restart, []);
        // The spawn is in flight: remember the stop, and start the ladder once it lands.
        case "stop":
          return { next: "stopping", effects: [] };
        default:
          return stay(state);
      }

    case "running":
    case "ready":
      switch (event.type) {
        case "probe_passed":
          return state === "running" ? { next: "ready", effects: [] } : stay(state);
        case "exited":
          return afterEnd(event.restart, state === "running" ? ["stop_probe"] : []);
        case "stop":
          return {
            next: "stopping",
            effects: state === "running" ? ["stop_probe", "start_stop_ladder"] : ["start_stop_ladder"],
          };
        default:
          return stay(state);
      }

    case "stopping":
      switch (event.type) {
        case "spawned":
          return { next: "stopping", effects: ["start_stop_ladder"] };
        case "spawn_failed":
          return { next: "exited", effects: [] };
        // A stop was asked for: whatever the restart policy says, the instance stays down.
        case "exited":
          return { next: "exited", effects: ["cancel_stop_ladder"] };
        default:
          return stay(state);
      }

    case "backoff":
      switch (event.type) {
        case "backoff_elapsed":
          return { next: "starting", effects: ["spawn"] };
        case "start":
          return { next: "starting", effects: ["cancel_restart", "spawn"] };
        case "stop":
          return { next: "exited", effects: ["cancel_restart"] };
        default:
          return stay(state);
      }
  }
}
