import type { SupervisorEvent } from "../supervisor/events.js";

// One service's instances as the proxy sees them: which are in rotation, how many requests each
// has in flight, and when one that left rotation has drained. Pure: it learns from
// SupervisorEvents and from the forwarder (markDown, acquire/release); no I/O, no timers.

export type Balance = "round_robin" | "least_conn";

/** Where one request goes. */
export interface Target {
  /** "web#1" */
  instance: string;
  host: string;
  port: number;
}

export type ReadyListener = (target: Target) => void;

const HOST = "127.0.0.1";

export class ServiceUpstream {
  readonly service: string;
  readonly balance: Balance;
  /** Instances in rotation (ready, not stopping, not marked down), in the order they became ready. */
  readonly #order: string[] = [];
  readonly #ports = new Map<string, number>();
  /** Where the next pick starts scanning #order. */
  #cursor = 0;
  /** Instances marked down by a refused connection, until their next InstanceReady. */
  readonly #down = new Set<string>();
  /** Per instance name; kept while the instance is out of rotation so it can drain. */
  readonly #inFlight = new Map<string, number>();
  readonly #drainWaiters = new Map<string, Array<() => void>>();
  readonly #readyListeners = new Set<ReadyListener>();

  constructor(service: string, balance: Balance) {
    this.service = service;
    this.balance = balance;
  }

  /** Instances that can take a request now. */
  get readyCount(): number {
    return this.#order.length;
  }

  onEvent(e: SupervisorEvent): void {
    if (!("instance" in e) || e.service !== this.service) return;
    switch (e.type) {
      case "InstanceReady":
        this.#enter(e.instance, e.port);
        return;
      case "InstanceExited":
      // A stop begins: no new requests, so the ones in flight can drain.
      case "InstanceDraining":
      case "InstanceStopSignal":
      case "InstanceStopped":
      case "InstanceStartFailed":
      case "InstanceNotReady":
        this.#leave(e.instance);
        return;
      default:
        return;
    }
  }

  /**
   * A connection to `instance` was refused: out of rotation until its next InstanceReady.
   * With `port`, a refusal from an earlier run (another port) is ignored.
   */
  markDown(instance: string, port?: number): void {
    if (port !== undefined && this.#ports.has(instance) && this.#ports.get(instance) !== port) return;
    this.#down.add(instance);
    this.#leave(instance);
  }

  isDown(instance: string): boolean {
    return this.#down.has(instance);
  }

  isInRotation(instance: string): boolean {
    return this.#order.includes(instance);
  }

  /**
   * The next instance for a request, or undefined when none in rotation is left after `exclude`
   * (hold the request until onReady). round_robin rotates; least_conn takes the fewest in flight,
   * ties in round-robin order.
   */
  pick(exclude?: ReadonlySet<string>): Target | undefined {
    const n = this.#order.length;
    let best = -1;
    let bestCount = Number.POSITIVE_INFINITY;
    for (let k = 0; k < n; k++) {
      const i = (this.#cursor + k) % n;
      const name = this.#order[i]!;
      if (exclude?.has(name)) continue;
      if (this.balance === "round_robin") {
        best = i;
        break;
      }
      const count = this.inFlight(name);
      if (count < bestCount) {
        best = i;
        bestCount = count;
        if (count === 0) break;
      }
    }
    if (best < 0) return undefined;
    this.#cursor = (best + 1) % n;
    return this.#target(this.#order[best]!);
  }

  /** A request to `target` started. */
  acquire(target: Target): void {
    this.#inFlight.set(target.instance, this.inFlight(target.instance) + 1);
  }

  /** A request to `target` ended (however it ended). Exactly once per acquire. */
  release(target: Target): void {
    const count = this.inFlight(target.instance) - 1;
    if (count > 0) this.#inFlight.set(target.instance, count);
    else this.#inFlight.delete(target.instance);
    this.#checkDrained(target.instance);
  }

  inFlight(instance: string): number {
    return this.#inFlight.get(instance) ?? 0;
  }

  /**
   * Resolves once `instance` is out of rotation and has no request in flight (the stop may
   * proceed); at once if it already is. Also resolves if the instance becomes ready again (the run
   * waited on is over). The caller bounds the wait (drain timeout).
   */
  drained(instance: string): Promise<void> {
    if (this.#isDrained(instance)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.#drainWaiters.get(instance);
      if (waiters) waiters.push(resolve);
      else this.#drainWaiters.set(instance, [resolve]);
    });
  }

  /** Called each time an instance enters rotation (release the HoldQueue). Returns an unsubscribe. */
  onReady(listener: ReadyListener): () => void {
    this.#readyListeners.add(listener);
    return () => this.#readyListeners.delete(listener);
  }

  #enter(instance: string, port: number | undefined): void {
    // Whatever a drain waited for belonged to the run before this one.
    this.#resolveDrained(instance);
    this.#down.delete(instance);
    if (port === undefined) {
      // Ready but with no port to forward to: nothing the proxy can use.
      this.#leave(instance);
      return;
    }
    this.#ports.set(instance, port);
    if (!this.#order.includes(instance)) this.#order.push(instance);
    const target = this.#target(instance);
    for (const listener of [...this.#readyListeners]) listener(target);
  }

  #leave(instance: string): void {
    const i = this.#order.indexOf(instance);
    if (i >= 0) {
      this.#order.splice(i, 1);
      if (i < this.#cursor) this.#cursor--;
      if (this.#cursor >= this.#order.length) this.#cursor = 0;
    }
    this.#checkDrained(instance);
  }

  #target(instance: string): Target {
    return { instance, host: HOST, port: this.#ports.get(instance)! };
  }

  #isDrained(instance: string): boolean {
    return !this.#order.includes(instance) && this.inFlight(instance) === 0;
  }

  #checkDrained(instance: string): void {
    if (this.#isDrained(instance)) this.#resolveDrained(instance);
  }

  #resolveDrained(instance: string): void {
    const waiters = this.#drainWaiters.get(instance);
    if (!waiters) return;
    this.#drainWaiters.delete(instance);
    for (const resolve of waiters) resolve();
  }
}
