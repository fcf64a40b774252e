// The labels berth puts on a container it creates (their names: docker/berth-labels.ts), and the
// hash of what the container is made of, which says whether a leftover is unchanged.
import { createHash } from "node:crypto";
import { LABEL, projectId } from "../../docker/berth-labels.js";
import type { ContainerSpec } from "./runtime.js";

export interface Ownership {
  stateDir: string;
  runId: string;
  service: string;
  instance: string;
}

/** The user's labels, then berth's (which the config refuses to let users set). */
export function containerLabels(spec: ContainerSpec, owner: Ownership, hash: string): Record<string, string> {
  return {
    ...spec.labels,
    [LABEL.project]: projectId(owner.stateDir),
    [LABEL.stateDir]: owner.stateDir,
    [LABEL.service]: owner.service,
    [LABEL.instance]: owner.instance,
    [LABEL.configHash]: hash,
    [LABEL.run]: owner.runId,
    ...(spec.keep && { [LABEL.keep]: "true" }),
  };
}

/**
 * What the container is made of, hashed: the image's id (a rebuilt tag is a change), and every
 * setting that reaches the engine. A host port berth picked (publish: auto) is left out: any
 * free one will do, so an adopted container keeps the one it has.
 */
export function configHash(spec: ContainerSpec, imageId: string): string {
  const sorted = (record: Record<string, string>) =>
    Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1));
  const made = {
    imageId,
    command: spec.command,
    env: sorted(spec.env),
    port: spec.port ?? null,
    publish: spec.publish.kind === "fixed" ? spec.publish.port : spec.publish.kind,
    volumes: spec.volumes,
    network: spec.network ?? null,
    user: spec.user ?? null,
    init: spec.init,
    labels: sorted(spec.labels),
    keep: spec.keep,
    stop: [spec.stopSignal, spec.stopTimeoutS],
  };
  return createHash("sha256").update(JSON.stringify(made)).digest("hex").slice(0, 16);
}
