// What berth asks the engine to create for one run of an image service. Pure, so every setting's
// way into the Engine API is tested without an engine.
import type { ContainerCreateBody } from "../../docker/engine-types.js";
import type { ContainerSpec } from "./runtime.js";

/** Published on loopback only: the proxy reaches it there, and nothing else can. */
export const PUBLISH_HOST = "127.0.0.1";

export function containerBody(spec: ContainerSpec, labels: Record<string, string>): ContainerCreateBody {
  const inside = spec.port === undefined ? undefined : `${spec.port}/tcp`;
  return {
    Image: spec.image,
    // Empty: the image's own command.
    ...(spec.command.length > 0 && { Cmd: spec.command }),
    Env: Object.entries(spec.env).map(([name, value]) => `${name}=${value}`),
    Labels: labels,
    // API 1.41 ignores a signal given to the stop call: the first signal of the ladder is set
    // here, so a `docker stop` from outside sends it too, and waits as long as the ladder would.
    StopSignal: spec.stopSignal,
    StopTimeout: spec.stopTimeoutS,
    ...(spec.user !== undefined && { User: spec.user }),
    ...(inside !== undefined && { ExposedPorts: { [inside]: {} } }),
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    HostConfig: {
      Init: spec.init,
      ...(inside !== undefined &&
        spec.hostPort !== undefined && {
          PortBindings: { [inside]: [{ HostIp: PUBLISH_HOST, HostPort: String(spec.hostPort) }] },
        }),
      ...(spec.volumes.length > 0 && { Binds: spec.volumes }),
      ...(spec.network !== undefined && { NetworkMode: spec.network }),
      // berth restarts it per its own restart policy; the engine must not as well.
      RestartPolicy: { Name: "no" },
      // Removed by berth once it has read the exit and the last logs (unless keep: true).
      AutoRemove: false,
    },
  };
}
