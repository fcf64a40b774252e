// Pass: a route's own header ops (`headers:` in berth.yaml), request or response side.
// Runs last (DESIGN.md convention 9), so the user has the final word: `set X-Forwarded-Port: "80"`
// (the original Apache setup's `RequestHeader set X-Forwarded-Port 80`) replaces the default.
// Order within the ops: remove, then set, then add. Names match case-insensitively; set and add
// write the name as the user spelled it.

import type { HeaderOps } from "../../config/config.js";
import type { HeaderList } from "./header-list.js";

/** Ops prepared once per route: names lower-cased ahead of the hot path. */
export interface PreparedHeaderOps {
  remove: readonly string[];
  set: readonly (readonly [name: string, lower: string, value: string])[];
  add: readonly (readonly [name: string, value: string])[];
  /** Nothing to do: the pass returns at once. */
  empty: boolean;
}

export function prepareHeaderOps(ops: HeaderOps): PreparedHeaderOps {
  const remove = ops.remove.map((name) => name.toLowerCase());
  const set = Object.entries(ops.set).map(([name, value]) => [name, name.toLowerCase(), value] as const);
  const add = Object.entries(ops.add).map(([name, value]) => [name, value] as const);
  return { remove, set, add, empty: remove.length === 0 && set.length === 0 && add.length === 0 };
}

/** Applies `ops` to `headers` in place. */
export function applyHeaderOps(headers: HeaderList, ops: PreparedHeaderOps): void {
  if (ops.empty) return;
  for (const lower of ops.remove) headers.remove(lower);
  for (const [name, lower, value] of ops.set) headers.set(name, value, lower);
  for (const [name, value] of ops.add) headers.add(name, value);
}
