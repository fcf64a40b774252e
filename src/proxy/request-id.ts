// Request ids: unique within a run and across runs, cheap enough for every request. A random
// per-process prefix plus a counter (what nginx's $request_id gets from 16 random bytes, this gets
// from one call to randomBytes at start), so the log and the upstream can be matched up.
import { randomBytes } from "node:crypto";

const prefix = randomBytes(6).toString("hex");
let counter = 0;

export function nextRequestId(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${prefix}-${counter.toString(36)}`;
}
