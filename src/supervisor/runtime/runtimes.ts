// The runtime of each instance: a container for an image service, a process otherwise. The
// supervisor sees one Runtime; the DockerRuntime is only asked for when a spec has a container.
import { type InstanceSpec, type RunningInstance, type Runtime, StartError } from "./runtime.js";

export class Runtimes implements Runtime {
  constructor(
    private readonly processes: Runtime,
    private readonly containers?: Runtime,
  ) {}

  start(spec: InstanceSpec): Promise<RunningInstance> {
    if (!spec.container) return this.processes.start(spec);
    if (!this.containers)
      return Promise.reject(
        new StartError(
          "this berth was put together without a container runtime, so it cannot run image: services; run berth up (its CLI), which has one, or give the service a command: instead",
        ),
      );
    return this.containers.start(spec);
  }
}
