// An image built by the engine from a build context (a tar archive), reading the builder's
// progress stream: its output passed on, its image id kept, its error thrown as it worded it.

import type { Readable } from "node:stream";
import type { EngineHttp } from "./engine-http.js";
import { progressMessages } from "./progress-stream.js";

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
  for await (const message of progressMessages(res, action, http.where, options.signal)) {
    if (typeof message.stream === "string") {
      output += message.stream;
      options.onOutput?.(message.stream);
    }
    if (typeof message.aux?.ID === "string") imageId = message.aux.ID;
  }
  imageId ??= /Successfully built ([0-9a-f]+)/.exec(output)?.[1];
  return { imageId, output };
}
