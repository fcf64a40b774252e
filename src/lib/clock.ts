// Time is injected so backoff, stop ladders and probe intervals are tested without sleeping.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  now(): number;
  setTimer(ms: number, fn: () => void): Timer;
}

/**
 * The longest delay setTimeout honours. Node fires a longer one after 1 ms (with a warning), so
 * a `restart` or `timeout` of 600h would fire at once; longer timers are chained in steps.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, fn) {
    let remaining = Math.max(0, ms);
    let handle: NodeJS.Timeout;
    const arm = () => {
      const step = Math.min(remaining, MAX_TIMEOUT_MS);
      handle = setTimeout(() => {
        remaining -= step;
        if (remaining > 0) arm();
        else fn();
      }, step);
    };
    arm();
    // Always clears the step that is pending now, so cancel works mid-chain.
    return { cancel: () => clearTimeout(handle) };
  },
};

interface PendingTimer {
  due: number;
  seq: number;
  fn: () => void;
}

/** A clock that moves only when told to; timers fire in due order, ties in creation order. */
export class FakeClock implements Clock {
  #now = 0;
  #seq = 0;
  #timers = new Set<PendingTimer>();

  now(): number {
    return this.#now;
  }

  setTimer(ms: number, fn: () => void): Timer {
    const timer = { due: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.add(timer);
    return { cancel: () => this.#timers.delete(timer) };
  }

  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const next = [...this.#timers]
        .filter((t) => t.due <= until)
        .sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!next) break;
      this.#timers.delete(next);
      this.#now = next.due;
      next.fn();
    }
    this.#now = until;
  }

  pending(): number {
    return this.#timers.size;
  }
}
