// The labels that mark a container as berth's: which project (one berth.yaml's state dir),
// service, instance and run, and the hash of what it was made from. Every label name beginning
// with "berth." is berth's: the config refuses them as a user's own labels.
import { createHash } from "node:crypto";

/** The prefix of every label berth sets, now or in a later version. */
export const LABEL_PREFIX = "berth.";

export const LABEL = {
  /** A hash of the state dir's absolute path (see projectId). */
  project: "berth.project",
  /** The state dir itself, for a person looking at `docker ps`. */
  stateDir: "berth.state_dir",
  service: "berth.service",
  /** "web#1" */
  instance: "berth.instance",
  configHash: "berth.config_hash",
  /** The run id of the berth that created it (run.json's). */
  run: "berth.run",
  /** "true" when the service has keep: true: an exited one is left for the user. */
  keep: "berth.keep",
} as const;

/**
 * The project is the state dir: run.json there already makes sure only one berth uses it at a
 * time, so every container with its label that is not this run's is a leftover of a dead one.
 * Two config files sharing one state dir are one project (and cannot run at once).
 */
export function projectId(stateDir: string): string {
  return createHash("sha256").update(stateDir).digest("hex").slice(0, 16);
}
