// For tests of berth running image services: the lines berth prints about a container, its
// labels as YAML, and the containers of a berth project as the engine sees them.
import { join } from "node:path";
import { LABEL, projectId } from "../../src/docker/berth-labels.js";
import type { EngineClient } from "../../src/docker/engine-client.js";
import type { ContainerSummary } from "../../src/docker/engine-types.js";
import { type BerthProcess, berthSays, type Line } from "./berth-process.js";

/** `web#1 | [berth] started (container 1a2b3c4d5e6f, port 41234)` */
export function startedContainer(instance: string): RegExp {
  return berthSays(instance, "started \\(container ([0-9a-f]{12}), port (\\d+)\\)");
}

export function parseStarted(line: Line): { id: string; port: number } {
  const match = /container ([0-9a-f]{12}), port (\d+)/.exec(line.text);
  if (!match) throw new Error(`not a container start: ${line.text}`);
  return { id: match[1]!, port: Number(match[2]) };
}

/** Waits for `instance` to start (after `after`, if given) and then be ready; its container and host port. */
export async function containerReady(
  berth: BerthProcess,
  instance: string,
  options: { after?: Line; timeoutMs?: number } = {},
): Promise<{ id: string; port: number; started: Line; ready: Line }> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const started = await berth.waitFor(startedContainer(instance), { after: options.after, timeoutMs });
  const ready = await berth.waitFor(berthSays(instance, "ready in "), { after: started, timeoutMs });
  return { ...parseStarted(started), started, ready };
}

/** A YAML flow map of the labels, every key and value quoted. */
export function yamlLabels(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  return `{ ${pairs.join(", ")} }`;
}

/** Every container, running or not, that berth's project for the config in `dir` owns. */
export function projectContainers(engine: EngineClient, dir: string): Promise<ContainerSummary[]> {
  return engine.listContainers({ all: true, labels: { [LABEL.project]: projectId(join(dir, ".berth")) } });
}

/** berth.yaml with one image service `web` (port 80 inside) behind a site on 127.0.0.1:`site`. */
export function webSiteYaml(image: string, labels: Record<string, string>, site: number, extra = ""): string {
  return `
services:
  web:
    image: ${image}
    port: 80
    labels: ${yamlLabels(labels)}${extra ? `\n    ${extra}` : ""}
sites:
  - listen: "127.0.0.1:${site}"
    routes:
      - path: /
        service: web
`;
}
