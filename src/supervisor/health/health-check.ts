// The schedule around a Probe: try at once, then again intervalMs after each failed attempt
// finished, until one passes. Attempts never overlap, so a slow backend is not piled on. A
// service still not ready after PATIENT_FOR_MS is probed at most once per SLOW_INTERVAL_MS, so a
// never-ready http service's access log is not flooded ten times a second forever.
import type { Clock, Timer } from "../../lib/clock.js";
import { formatDuration } from "../../lib/durations.js";
import type { Probe, ProbeResult, ProbeTarget } from "./probe.js";

/** How long after start the configured interval is kept. */
export const PATIENT_FOR_MS = 10_000;
/** The shortest interval after that (a longer configured interval is kept). */
export const SLOW_INTERVAL_MS = 1_000;

export interface HealthCheckOptions {
  probe: Probe;
  target: ProbeTarget;
  intervalMs: number;
  timeoutMs: number;
  clock: Clock;
  onReady: () => void;
  onFailure?: (reason: string) => void;
}

export class HealthCheck {
  readonly #opts: HealthCheckOptions;
  #started = false;
  #startedAt = 0;
  #finished = false;
  #lastFailure: string | undefined;
  #attempt: AbortController | undefined;
  /** The next attempt while waiting between attempts; the running attempt's timeout during one. */
  #timer: Timer | undefined;

  constructor(opts: HealthCheckOptions) {
    this.#opts = opts;
  }

  /** Why the most recent attempt failed; undefined before any attempt failed. */
  get lastFailure(): string | undefined {
    return this.#lastFailure;
  }

  start(): void {
    if (this.#started || this.#finished) return;
    this.#started = true;
    this.#startedAt = this.#opts.clock.now();
    this.#runAttempt();
  }

  stop(): void {
    this.#finished = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#attempt?.abort(new Error("health check stopped"));
    this.#attempt = undefined;
  }

  #runAttempt(): void {
    this.#timer = undefined;
    if (this.#finished) return;
    const { probe, target, timeoutMs, clock } = this.#opts;
    const controller = new AbortController();
    this.#attempt = controller;
    let settled = false;
    const settle = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      timeout.cancel();
      if (this.#attempt !== controller) return; // stopped meanwhile
      this.#attempt = undefined;
      this.#timer = undefined;
      this.#decide(result);
    };
    // The timeout runs on the injected clock, and the attempt ends when it fires even if the
    // probe is slow to notice the abort.
    const timeout = clock.setTimer(timeoutMs, () => {
      const reason = `timed out after ${formatDuration(timeoutMs)}`;
      controller.abort(new Error(reason));
      settle({ ok: false, reason });
    });
    this.#timer = timeout;
    let running: Promise<ProbeResult>;
    try {
      running = probe.run(target, controller.signal);
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(settle, (error: unknown) => settle({ ok: false, reason: errorMessage(error) }));
  }

  #decide(result: ProbeResult): void {
    if (this.#finished) return;
    if (result.ok) {
      this.#finished = true;
      this.#opts.onReady();
      return;
    }
    this.#lastFailure = result.reason;
    this.#opts.onFailure?.(result.reason);
    // onFailure may have stopped us.
    if (this.#finished) return;
    const { clock, intervalMs } = this.#opts;
    const patient = clock.now() - this.#startedAt < PATIENT_FOR_MS;
    const delay = patient ? intervalMs : Math.max(intervalMs, SLOW_INTERVAL_MS);
    this.#timer = clock.setTimer(delay, () => this.#runAttempt());
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
