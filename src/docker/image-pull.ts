// An image pulled from its registry by the engine, reading the progress stream to its end: an
// error the engine reports inside the stream (after a 200) is thrown as it worded it.

import type { EngineHttp } from "./engine-http.js";
import { progressMessages } from "./progress-stream.js";

/**
 * "nginx" → nginx, latest; "reg:5000/a/b:1.2" → reg:5000/a/b, 1.2; "a@sha256:…" → a, sha256:….
 * The tag is never empty: an empty one would pull every tag of the repository.
 */
export function splitReference(ref: string): { name: string; tag: string } {
  const at = ref.indexOf("@");
  if (at !== -1) return { name: ref.slice(0, at), tag: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(":");
  // A colon before the last "/" is a registry's port, not a tag.
  if (colon > ref.lastIndexOf("/")) return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { name: ref, tag: "latest" };
}

export async function pullImage(
  http: EngineHttp,
  ref: string,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<void> {
  const action = `pulling image ${ref}`;
  const { name, tag } = splitReference(ref);
  const res = await http.request({
    method: "POST",
    path: "/images/create",
    query: { fromImage: name, tag },
    action,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    streaming: true,
  });
  for await (const _message of progressMessages(res, action, http.where, options.signal)) {
    // Only its end matters: the engine has the image once the stream ends without an error.
  }
}
