// Small things about one container that several callers share: its name and id as `docker ps`
// shows them, and its removal when it may already be gone.
import type { EngineClient } from "./engine-client.js";
import { isNotFound } from "./engine-error.js";
import type { ContainerSummary } from "./engine-types.js";

/** Its name without the engine's leading slash: "berth-web-1-3fa9c2". */
export function containerName(c: ContainerSummary): string {
  return (c.Names[0] ?? "").replace(/^\//, "");
}

/** "container berth-web-1-3fa9c2 (1a2b3c4d5e6f)", with more in the parentheses when given. */
export function describeContainer(c: ContainerSummary, ...more: string[]): string {
  return `container ${containerName(c)} (${[c.Id.slice(0, 12), ...more].join(", ")})`;
}

/**
 * Removes it (force: killing it if it runs; its anonymous volumes with it). One that is already
 * gone, or being removed (AutoRemove, another caller), is no error: either is what was wanted.
 */
export async function removeContainerIfPresent(engine: EngineClient, ref: string): Promise<void> {
  try {
    await engine.removeContainer(ref, { force: true, volumes: true });
  } catch (error) {
    if (isNotFound(error) || /already in progress/.test(String(error))) return;
    throw error;
  }
}
