// An image built by the engine from a build context (a tar archive), reading the builder's
// progress stream: its output passed on, its image id kept, its error thrown as it worded it.

import type { Readable } from "node:stream";
import { EngineConnectionError, EngineError } from "./engine-error.js";
import type { EngineHttp } from "./engine-http.js";
import { jsonLines } from "./json-lines.js";

export interface BuildOptions {
  /** Path of the Dockerfile inside the context; default "Dockerfile". */
  dockerfile?: string;
  labels?: Record<string, string>;
  noCache?: boolean;
  /** Each piece of the builder's output ("Step 1/4 : FROM scratch\n"), as it comes. */
  onOutput?: (text: string) => void;
  signal?: AbortSignal;
}

/** The build's output, and the image id when the builder said it (the caller looks it up otherwise). */
export async function buildImage(
  http: EngineHttp,
  context: Buffer | Readable,
  tag: string,
  options: BuildOptions = {},
): Promise<{ imageId: string | undefined; output: string }> {
  const action = `building image ${tag}`;
  const res = await http.request({
    method: "POST",
    path: "/build",
    query: {
      t: tag,
      dockerfile: options.dockerfile,
      labels: options.labels === undefined ? undefined : JSON.stringify(options.labels),
      nocache: options.noCache,
      rm: true,
      forcerm: true,
    },
    body: context,
    contentType: "application/x-tar",
    action,
    signal: options.signal,
    streaming: true,
  });
  let output = "";
  let imageId: string | undefined;
  try {
    for await (const item of jsonLines(res)) {
      const message = item as {
        stream?: string;
        aux?: { ID?: string };
        error?: string;
        errorDetail?: { message?: string };
      };
      if (typeof message.stream === "string") {
        output += message.stream;
        options.onOutput?.(message.stream);
      }
      if (typeof message.aux?.ID === "string") imageId = message.aux.ID;
      const failure = message.errorDetail?.message ?? message.error;
      if (failure !== undefined) throw new EngineError(action, undefined, failure.trim());
    }
  } catch (error) {
    res.destroy();
    if (options.signal?.aborted) throw options.signal.reason;
    if (error instanceof EngineError || !(error as NodeJS.ErrnoException).code) throw error;
    throw EngineConnectionError.fromSocketError(action, http.where, error as NodeJS.ErrnoException, true);
  }
  imageId ??= /Successfully built ([0-9a-f]+)/.exec(output)?.[1];
  return { imageId, output };
}
