import type { PortSpec } from "../config/config.js";
import { freePort, isPortFree } from "../lib/ports.js";
import { portInUseMessage } from "./runtime/port-user.js";
import { StartError } from "./runtime/runtime.js";

export interface PortAllocatorOptions {
  /** Words the error for a fixed port someone else holds (port-user.ts names who). */
  inUse?: (port: number) => Promise<string>;
  /**
   * The host port held by the container an earlier berth left for `instance`, which that
   * instance's start adopts or removes (adopt: true); undefined when there is none.
   */
  adoptionPort?: (instance: string) => Promise<number | undefined>;
}

/**
 * Hands out ports to instances. `auto` ports are remembered so two instances never get
 * the same one, and an instance keeps its port across restarts while it stays free.
 */
export class PortAllocator {
  readonly #taken = new Map<number, string>();
  readonly #inUse: (port: number) => Promise<string>;
  readonly #adoptionPort: (instance: string) => Promise<number | undefined>;

  constructor(options: PortAllocatorOptions = {}) {
    this.#inUse = options.inUse ?? ((port) => portInUseMessage(port));
    this.#adoptionPort = options.adoptionPort ?? (async () => undefined);
  }

  /** `key` is the config key the port comes from: an image service's host port is its publish:. */
  async portFor(
    instance: string,
    spec: PortSpec,
    previous: number | undefined,
    key: "port" | "publish" = "port",
  ): Promise<number | undefined> {
    if (spec.kind === "none") return undefined;
    if (spec.kind === "fixed") {
      if (await isPortFree(spec.port)) return spec.port;
      // Its own container from an earlier berth holds it: the start adopts that one, or removes it first.
      if ((await this.#adoptionPort(instance)) === spec.port) return spec.port;
      throw new StartError(`${await this.#inUse(spec.port)} (or use ${key}: auto)`);
    }
    if (previous !== undefined && this.#taken.get(previous) === instance && (await isPortFree(previous))) {
      return previous;
    }
    if (previous !== undefined) this.#taken.delete(previous);
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = await freePort();
      if (this.#taken.has(port)) continue;
      this.#taken.set(port, instance);
      return port;
    }
    throw new StartError("could not find a free port on 127.0.0.1");
  }
}
