import type { Clock, Timer } from "../lib/clock.js";

/** How a drain wait ended. */
export type DrainEnd = "drained" | "timed_out" | "cut_short";

/**
 * The wait, before an instance's stop ladder starts, for the requests it is serving to finish:
 * over when `drained` settles, when `timeoutMs` has passed, or when cut short (a second Ctrl-C).
 * `done` is called once, and never after cancel() (the stop ended meanwhile, or a later run of the
 * instance would be signalled by a stale drain).
 */
export class DrainWait {
  readonly #timer: Timer;
  #over = false;

  constructor(
    drained: Promise<void>,
    timeoutMs: number,
    clock: Clock,
    private readonly done: (end: DrainEnd) => void,
  ) {
    this.#timer = clock.setTimer(timeoutMs, () => this.#end("timed_out"));
    // A drain hook that fails must not hold the stop up: its wait is over all the same.
    drained.then(
      () => this.#end("drained"),
      () => this.#end("drained"),
    );
  }

  /** Stops waiting now; `done` is told so. */
  cutShort(): void {
    this.#end("cut_short");
  }

  /** Stops waiting without telling `done`. */
  cancel(): void {
    this.#over = true;
    this.#timer.cancel();
  }

  #end(end: DrainEnd): void {
    if (this.#over) return;
    this.cancel();
    this.done(end);
  }
}
