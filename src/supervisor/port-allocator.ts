import type { PortSpec } from "../config/config.js";
import { portHolder } from "../lib/port-holder.js";
import { freePort, isPortFree } from "../lib/ports.js";
import { StartError } from "./runtime/runtime.js";

/**
 * Hands out ports to instances. `auto` ports are remembered so two instances never get
 * the same one, and an instance keeps its port across restarts while it stays free.
 */
export class PortAllocator {
  readonly #taken = new Map<number, string>();

  async portFor(instance: string, spec: PortSpec, previous: number | undefined): Promise<number | undefined> {
    if (spec.kind === "none") return undefined;
    if (spec.kind === "fixed") {
      if (!(await isPortFree(spec.port))) throw new StartError(await inUseMessage(spec.port));
      return spec.port;
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

async function inUseMessage(port: number): Promise<string> {
  const holder = await portHolder(port);
  const who = holder ? ` by pid ${holder.pid} (${holder.command})` : "";
  return `port ${port} is already in use${who}; stop it or choose another port (or port: auto)`;
}
