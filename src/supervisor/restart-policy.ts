import type { BackoffConfig, RestartMode } from "../config/config.js";
import { type ExitStatus, isCleanExit } from "./exit-status.js";

export function shouldRestart(mode: RestartMode, status: ExitStatus): boolean {
  switch (mode) {
    case "always":
      return true;
    case "on-failure":
      return !isCleanExit(status);
    case "never":
      return false;
  }
}

/**
 * Exponential backoff: initial, doubling up to max. A run that lasted resetAfter or
 * longer was stable, so the failure after it starts again at initial. Never gives up:
 * a crash loop keeps retrying at max, visibly in state `backoff`.
 */
export class Backoff {
  #failures = 0;

  constructor(private readonly config: BackoffConfig) {}

  /** The delay before the next start, given how the last run ended. */
  next(status: ExitStatus): number {
    if (status.ranMs >= this.config.resetAfterMs) this.#failures = 0;
    const delay = Math.min(this.config.initialMs * 2 ** this.#failures, this.config.maxMs);
    this.#failures++;
    return delay;
  }
}
