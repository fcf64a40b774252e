import { constants } from "node:os";

// How `berth up` ends: what SIGINT/SIGTERM do, the first, second and third time, and how a
// failed start or a failed stop turns into an exit status. Every path ends in exactly one
// exit(), and no promise is left to reject unhandled.

/** What a signal acts on: a Berth. */
export interface Stoppable {
  /** Stops every service; idempotent. */
  stop(): Promise<void>;
  /** Skips what remains of every stop ladder. */
  kill(): void;
}

export interface ShutdownOptions {
  /** berth's own messages (stderr). */
  write(text: string): void;
  /** process.exit in production. */
  exit(code: number): void;
  /** Ends berth at once by `signal` itself (see interruptProcess). */
  interrupt(signal: NodeJS.Signals): void;
}

export class Shutdown {
  readonly #target: Stoppable;
  readonly #opts: ShutdownOptions;
  #signals = 0;
  #startFailed = false;
  #stopping: Promise<void> | undefined;

  constructor(target: Stoppable, opts: ShutdownOptions) {
    this.#target = target;
    this.#opts = opts;
  }

  /**
   * SIGINT or SIGTERM. The first stops every service along its ladder and exits once nothing
   * is left; the second skips the ladders (SIGKILL now); the third exits at once, leaving the
   * processes still running to berth's watchdog, which kills them when berth's pipe to it closes,
   * and its containers to the next `berth up` (the watchdog cannot reach the engine).
   */
  signal(signal: NodeJS.Signals): void {
    this.#signals++;
    if (this.#signals === 1) {
      this.#opts.write(`\nberth: ${signal}: stopping all services (${signal} again kills them at once)\n`);
      void this.#stopThenExit();
    } else if (this.#signals === 2) {
      this.#opts.write(`berth: ${signal} again: killing them at once (a third ${signal} exits now)\n`);
      this.#target.kill();
    } else {
      this.#opts.write(
        `berth: ${signal} a third time: exiting now; berth's watchdog kills the processes left; containers left are removed by the next berth up\n`,
      );
      this.#opts.interrupt(signal);
    }
  }

  /**
   * berth could not start: says why, stops what did start, and exits 1, also when a signal
   * had already begun the stop.
   */
  async startFailed(message: string): Promise<void> {
    this.#startFailed = true;
    this.#opts.write(`berth: ${message}\n`);
    await this.#stopThenExit();
  }

  /** One stop, one exit: a signal and a failed start may both ask for it. */
  #stopThenExit(): Promise<void> {
    this.#stopping ??= this.#stop().then(
      () => this.#opts.exit(this.#startFailed ? 1 : 0),
      (error: unknown) => {
        this.#opts.write(`berth: stopping: ${error instanceof Error ? error.message : String(error)}\n`);
        this.#opts.exit(1);
      },
    );
    return this.#stopping;
  }

  // A stop() that throws instead of rejecting is still a failed stop, not a crash.
  #stop(): Promise<void> {
    try {
      return this.#target.stop();
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

/**
 * Ends this process by `signal` with its default action: at once, with the status a shell
 * reports as 128 + the signal's number (130 for SIGINT, 143 for SIGTERM). Not process.exit():
 * it first waits for libuv's worker threads, so a berth stuck in a file operation that never
 * returns (a log file on a hung mount) would hang in exit too, which is when this is needed.
 */
export function interruptProcess(signal: NodeJS.Signals): void {
  process.removeAllListeners(signal); // the last listener gone, Node restores the default action
  process.kill(process.pid, signal);
  // Not reached: the signal ends the process on the way back from kill(). Just in case:
  process.exit(128 + (constants.signals[signal] ?? 0));
}
