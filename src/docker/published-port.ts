// Where the engine published a container's port on the host, read from its inspect answer.

import type { ContainerInspect } from "./engine-types.js";

export interface PublishedPort {
  /** As the engine bound it: "127.0.0.1" when published on loopback only, "0.0.0.0" on every address. */
  host: string;
  port: number;
}

/**
 * The bindings of `containerPort` ("80/tcp"; a bare "80" means tcp), in the engine's order;
 * empty when it is not published or the container does not run (the engine reports no
 * bindings then, even for a port it will publish).
 */
export function publishedPorts(inspect: ContainerInspect, containerPort: string | number): PublishedPort[] {
  const key = /\/(tcp|udp|sctp)$/.test(String(containerPort))
    ? String(containerPort)
    : `${containerPort}/tcp`;
  const bindings = inspect.NetworkSettings.Ports?.[key] ?? [];
  return bindings
    .filter((b) => b.HostPort !== undefined && b.HostPort !== "")
    .map((b) => ({
      host: b.HostIp === undefined || b.HostIp === "" ? "0.0.0.0" : b.HostIp,
      port: Number(b.HostPort),
    }));
}
