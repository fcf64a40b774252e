// Which instance a request tries next, for plain requests and upgrades alike: a ready one not yet
// tried (any ready one when all were), else a wait in the backend's HoldQueue until one is ready.
// After a failed attempt it decides whether another may be made, and takes an instance that
// refused or broke the connection out of rotation.
import type { Backend } from "./backends.js";
import { holdFailure, type ProxyFailure } from "./proxy-error.js";
import type { Target } from "./upstream.js";

/** Tries per request, whatever failed: enough for a replica or two dying under it. */
const MAX_ATTEMPTS = 4;

export type NextTarget =
  | { kind: "target"; target: Target }
  /** Nothing to try: answer this. */
  | { kind: "failure"; failure: ProxyFailure }
  /** The client left while the request waited. */
  | { kind: "cancelled" };

export class TargetChooser {
  readonly #backend: Backend;
  readonly #sizeBytes: number;
  /** Made on the first wait only: most requests never wait. */
  readonly #waitSignal: () => AbortSignal;
  #exclude: Set<string> | undefined;
  #lastFailure: ProxyFailure | undefined;
  #attempts = 0;

  constructor(backend: Backend, sizeBytes: number, waitSignal: () => AbortSignal) {
    this.#backend = backend;
    this.#sizeBytes = sizeBytes;
    this.#waitSignal = waitSignal;
  }

  /** A ready instance at once, without a turn of the event loop; undefined when next() must wait. */
  now(): Target | undefined {
    const target = this.#backend.pick(this.#exclude) ?? this.#backend.pick();
    if (target !== undefined) this.#attempts++;
    return target;
  }

  async next(): Promise<NextTarget> {
    const backend = this.#backend;
    for (;;) {
      const target = this.now();
      if (target !== undefined) return { kind: "target", target };
      if (!backend.holds) {
        return { kind: "failure", failure: this.#lastFailure ?? { kind: "refused", detail: "no address" } };
      }
      const outcome = await backend.hold(this.#sizeBytes, this.#waitSignal());
      if (outcome === "cancelled") return { kind: "cancelled" };
      if (outcome !== "released") return { kind: "failure", failure: holdFailure(outcome, backend.label) };
      this.#exclude = undefined; // a new instance is ready: everything may be tried again
    }
  }

  /**
   * The attempt at `target` failed before any response. `sent`: the upstream may have seen the
   * request; `replayable`: the request may be sent again. Returns whether to try again.
   */
  failed(target: Target, failure: ProxyFailure, sent: boolean, replayable: boolean): boolean {
    this.#lastFailure = failure;
    // Refused, never connected, or closed before any response (a killed process's pooled
    // connections): out of rotation until it is ready, or accepts, again. Only a slow answer
    // (response_header timeout) says nothing about the instance being there.
    if (!sent || failure.kind === "broken") this.#backend.markDown(target);
    if (replayable && this.#attempts < MAX_ATTEMPTS) {
      this.#exclude ??= new Set();
      this.#exclude.add(target.instance);
      return true;
    }
    if (this.#attempts > 1 && "detail" in failure) failure.detail += `, after ${this.#attempts} tries`;
    return false;
  }
}
