import type { StopPolicy } from "../config/config.js";
import type { Clock, Timer } from "../lib/clock.js";

/**
 * Walks a StopPolicy: each step's signal at its time since the stop began. The caller
 * cancels it the moment the process exits, so no step waits out its delay needlessly.
 */
export class StopLadder {
  #timers: Timer[] = [];
  #lastSignal: NodeJS.Signals | undefined;

  constructor(
    private readonly policy: StopPolicy,
    private readonly clock: Clock,
    private readonly send: (signal: NodeJS.Signals, atMs: number) => void,
  ) {}

  start(): void {
    for (const step of this.policy.steps) {
      const fire = () => {
        this.#lastSignal = step.signal;
        this.send(step.signal, step.atMs);
      };
      if (step.atMs <= 0) fire();
      else this.#timers.push(this.clock.setTimer(step.atMs, fire));
    }
  }

  /** Skips the remaining steps and kills now (a second Ctrl-C). */
  escalate(): void {
    this.cancel();
    this.#lastSignal = "SIGKILL";
    this.send("SIGKILL", -1);
  }

  cancel(): void {
    for (const timer of this.#timers) timer.cancel();
    this.#timers = [];
  }

  /** The last signal sent: the one that ended the process, if it ended during the stop. */
  get lastSignal(): NodeJS.Signals | undefined {
    return this.#lastSignal;
  }
}
