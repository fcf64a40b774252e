// The image of an image service, as the engine has it: looked up, and pulled from its registry
// when it is missing and pull: missing says so. A stop of the instance abandons the pull.
import type { EngineClient } from "../../docker/engine-client.js";
import { EngineError } from "../../docker/engine-error.js";
import type { ImageInspect } from "../../docker/engine-types.js";
import { StartError } from "./runtime.js";

export async function findImage(
  engine: EngineClient,
  ref: string,
  pull: "never" | "missing",
  signal?: AbortSignal,
): Promise<ImageInspect> {
  const found = await engine.imageInspect(ref);
  if (found) return found;
  if (pull === "never")
    throw new StartError(
      `image ${ref} is not on this machine, and pull: never; build it (docker build -t ${ref} .) or load it first`,
    );
  signal?.throwIfAborted();
  try {
    await engine.pullImage(ref, { signal });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const why = error instanceof EngineError ? error.engineMessage : (error as Error).message;
    throw new StartError(
      `image ${ref} is not on this machine, and pulling it failed: ${why}; build it (docker build -t ${ref} .), load it, or check its name`,
    );
  }
  const pulled = await engine.imageInspect(ref);
  if (!pulled) throw new StartError(`image ${ref}: pulled, but the engine does not have it`);
  return pulled;
}

/** Whether the image has a HEALTHCHECK of its own (not one that says NONE). */
export function hasHealthcheck(image: ImageInspect): boolean {
  const test = image.Config?.Healthcheck?.Test;
  return test !== undefined && test.length > 0 && test[0] !== "NONE";
}
