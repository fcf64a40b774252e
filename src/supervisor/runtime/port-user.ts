// Who holds a host port, in words for "port 8002 is already in use by …": a container that
// publishes it (named, with its id, as `docker ps` shows them), else the process listening on
// it. A container is asked for first: its port is held by the engine's docker-proxy, and
// "pid 4242 (/usr/bin/docker-proxy …)" would not say which container to stop.
import { LABEL } from "../../docker/berth-labels.js";
import { describeContainer } from "../../docker/containers.js";
import type { EngineClient } from "../../docker/engine-client.js";
import { portHolder } from "../../lib/port-holder.js";

/**
 * How long the engine may take to list its containers for the message. Short: the message is
 * for a failed start (of a command service too), and an engine that is slow or absent only
 * means the container, if any, goes unnamed.
 */
const LISTING_TIMEOUT_MS = 1_500;

export async function portUser(port: number, engine?: EngineClient): Promise<string | undefined> {
  if (engine) {
    try {
      const containers = await engine.listContainers({ timeoutMs: LISTING_TIMEOUT_MS });
      const holder = containers.find((c) => c.Ports.some((p) => p.PublicPort === port));
      if (holder) {
        const stateDir = holder.Labels?.[LABEL.stateDir];
        const whose = stateDir ? `, run by the berth whose state dir is ${stateDir}` : "";
        return `${describeContainer(holder)}${whose}`;
      }
    } catch {
      // No engine to ask: the process, if it can be told.
    }
  }
  const process = await portHolder(port);
  return process && `pid ${process.pid} (${process.command})`;
}

/** The whole message, with the next step. */
export async function portInUseMessage(port: number, engine?: EngineClient): Promise<string> {
  const who = await portUser(port, engine);
  return `port ${port} is already in use${who ? ` by ${who}` : ""}; stop it or choose another port`;
}
