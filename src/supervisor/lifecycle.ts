// The Instance lifecycle as a pure transition table: (state, event) -> (next state, effects).
// No I/O here; instance.ts performs the effects. Every pair is tested in lifecycle.test.ts.

export type InstanceState =
  | "idle"
  | "starting"
  | "running"
  | "ready"
  | "stopping"
  /** The process ended on its own; what it left behind is being cleaned up before any restart. */
  | "ending"
  | "exited"
  | "backoff";

export const INSTANCE_STATES: readonly InstanceState[] = [
  "idle",
  "starting",
  "running",
  "ready",
  "stopping",
  "ending",
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
  /** The process/container itself ended. */
  | { type: "ended" }
  /** Nothing of it runs any more; `restart` is the RestartPolicy's verdict. */
  | { type: "cleaned_up"; restart: boolean }
  | { type: "stop" }
  /** The wait for the instance's requests in flight is over (finished, timed out or cut short). */
  | { type: "drained" }
  | { type: "backoff_elapsed" };

export type Effect =
  | "spawn"
  | "start_probe"
  | "stop_probe"
  /** Out of rotation; wait (bounded) for the requests it serves, then `drained`. */
  | "start_drain"
  | "cancel_drain"
  | "start_stop_ladder"
  | "cancel_stop_ladder"
  /** Kill what the ended process left; during a stop, first let its ladder finish the group. */
  | "clean_up"
  | "schedule_restart"
  | "cancel_restart";

export interface Transition {
  next: InstanceState;
  effects: Effect[];
}

const stay = (state: InstanceState): Transition => ({ next: state, effects: [] });

const restartOrRest = (restart: boolean): Transition =>
  restart ? { next: "backoff", effects: ["schedule_restart"] } : { next: "exited", effects: [] };

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
          return restartOrRest(event.restart);
        // The spawn is in flight: remember the stop, and start the ladder once it lands.
        case "stop":
          return { next: "stopping", effects: [] };
        default:
          return stay(state);
      }

    case "running":
    case "ready": {
      const probing = state === "running";
      switch (event.type) {
        case "probe_passed":
          return probing ? { next: "ready", effects: [] } : stay(state);
        case "ended":
          return { next: "ending", effects: probing ? ["stop_probe", "clean_up"] : ["clean_up"] };
        case "stop":
          return { next: "stopping", effects: probing ? ["stop_probe", "start_drain"] : ["start_drain"] };
        default:
          return stay(state);
      }
    }

    case "stopping":
      switch (event.type) {
        // Stopped before it ran: never in rotation, so nothing to drain.
        case "spawned":
          return { next: "stopping", effects: ["start_stop_ladder"] };
        case "drained":
          return { next: "stopping", effects: ["start_stop_ladder"] };
        case "spawn_failed":
          return { next: "exited", effects: [] };
        // The ladder goes on: the rest of the process group may still be finishing.
        case "ended":
          return { next: "stopping", effects: ["clean_up"] };
        // A stop was asked for: whatever the restart policy says, the instance stays down.
        case "cleaned_up":
          return { next: "exited", effects: ["cancel_drain", "cancel_stop_ladder"] };
        default:
          return stay(state);
      }

    case "ending":
      // A stop while ending needs nothing more: the restart policy is asked after the cleanup.
      return event.type === "cleaned_up" ? restartOrRest(event.restart) : stay(state);

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
