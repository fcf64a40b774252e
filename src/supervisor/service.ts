import type { ServiceConfig } from "../config/config.js";
import { Instance, type InstanceDeps } from "./instance.js";

/** One named entry under `services`: its desired state and its Instances (`web#1` … `web#N`). */
export class Service {
  readonly instances: Instance[];

  constructor(
    readonly config: ServiceConfig,
    deps: InstanceDeps,
  ) {
    this.instances = Array.from({ length: config.replicas }, (_, i) => new Instance(config, i + 1, deps));
  }

  get name(): string {
    return this.config.name;
  }

  get readyCount(): number {
    return this.instances.filter((i) => i.state === "ready").length;
  }

  start(): void {
    for (const instance of this.instances) instance.start();
  }

  /** Resolves when every instance has ended. */
  async stop(): Promise<void> {
    await Promise.all(this.instances.map((i) => i.stop()));
  }

  /** No more restarts: berth is shutting down and will stop this service in its turn. */
  stayDown(): void {
    for (const instance of this.instances) instance.stayDown();
  }

  kill(): void {
    for (const instance of this.instances) instance.kill();
  }
}
