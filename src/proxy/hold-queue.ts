// The HoldQueue (see DESIGN.md): requests waiting because no instance of an Upstream is ready.
// It holds no request objects, only a count and a byte total per waiter; the caller decides
// what each outcome means on the wire (forward, 503 with Retry-After, drop the socket).

import type { HoldLimits } from "../config/config.js";
import type { Clock, Timer } from "../lib/clock.js";

/**
 * How a wait ended:
 * - `released`: an instance became ready (`release()`); forward the request.
 * - `timed_out`: nothing became ready within `maxWaitMs`; answer 503.
 * - `full`: taking a slot would pass `maxRequests` or `maxBytes`; answered at once, answer 503
 *   with Retry-After.
 * - `closed`: the queue was closed (berth stops), before or while waiting.
 * - `cancelled`: the caller's AbortSignal fired (the client went away), before or while waiting;
 *   there is nobody left to answer.
 */
export type HoldOutcome = "released" | "timed_out" | "full" | "closed" | "cancelled";

export interface HoldQueueOptions extends HoldLimits {
  clock: Clock;
}

interface Waiter {
  sizeBytes: number;
  resolve: (outcome: HoldOutcome) => void;
  timer: Timer;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

function checkLimit(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
  }
  return value;
}

export class HoldQueue {
  readonly #clock: Clock;
  readonly #maxWaitMs: number;
  readonly #maxRequests: number;
  readonly #maxBytes: number;
  /** In arrival order; a Set so a timed-out or cancelled waiter leaves in O(1). */
  readonly #waiters = new Set<Waiter>();
  #bytes = 0;
  #closed = false;

  constructor(options: HoldQueueOptions) {
    this.#clock = options.clock;
    this.#maxWaitMs = checkLimit("maxWaitMs", options.maxWaitMs);
    this.#maxRequests = checkLimit("maxRequests", options.maxRequests);
    this.#maxBytes = checkLimit("maxBytes", options.maxBytes);
  }

  /** Requests waiting now. */
  get size(): number {
    return this.#waiters.size;
  }

  /** Sum of the waiting requests' declared sizes. */
  get bytes(): number {
    return this.#bytes;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Waits for a slot to be released. `sizeBytes` is what the request holds while waiting (for
   * example its Content-Length, or what has been buffered of a chunked body); it counts against
   * `maxBytes`. A request larger than `maxBytes` on its own is always `full`.
   *
   * Resolves at once with `closed` after `close()`, `cancelled` if `signal` is already aborted,
   * and `full` when the limits would be passed; otherwise it waits. Never rejects; throws a
   * RangeError at once if `sizeBytes` is negative or not finite.
   */
  hold(sizeBytes: number, signal?: AbortSignal): Promise<HoldOutcome> {
    if (!Number.isFinite(sizeBytes) || sizeBytes < 0) {
      throw new RangeError(`sizeBytes must be a finite number >= 0, got ${sizeBytes}`);
    }
    if (this.#closed) return Promise.resolve("closed");
    if (signal?.aborted) return Promise.resolve("cancelled");
    if (this.#waiters.size + 1 > this.#maxRequests || this.#bytes + sizeBytes > this.#maxBytes) {
      return Promise.resolve("full");
    }
    return new Promise<HoldOutcome>((resolve) => {
      const waiter: Waiter = {
        sizeBytes,
        resolve,
        timer: this.#clock.setTimer(this.#maxWaitMs, () => this.#settle(waiter, "timed_out")),
        signal,
        onAbort: undefined,
      };
      if (signal) {
        waiter.onAbort = () => this.#settle(waiter, "cancelled");
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.#waiters.add(waiter);
      this.#bytes += sizeBytes;
    });
  }

  /** An instance is ready: every waiter goes, in arrival order. Returns how many were released. */
  release(): number {
    return this.#settleAll("released");
  }

  /**
   * berth stops: every waiter is answered `closed`, and so is every later `hold()`.
   * Returns how many were waiting.
   */
  close(): number {
    this.#closed = true;
    return this.#settleAll("closed");
  }

  #settleAll(outcome: HoldOutcome): number {
    // A snapshot, so a waiter's settlement cannot add to or reorder this round.
    const waiters = [...this.#waiters];
    for (const waiter of waiters) this.#settle(waiter, outcome);
    return waiters.length;
  }

  #settle(waiter: Waiter, outcome: HoldOutcome): void {
    if (!this.#waiters.delete(waiter)) return; // already settled
    this.#bytes -= waiter.sizeBytes;
    waiter.timer.cancel();
    if (waiter.signal && waiter.onAbort) {
      waiter.signal.removeEventListener("abort", waiter.onAbort);
    }
    waiter.resolve(outcome);
  }
}
