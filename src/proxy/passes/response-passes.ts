// The response passes, in order, for every response berth relays (forwarded or an upgrade's
// non-101 answer): hop-by-hop fields out, references to the upstream rewritten, the route's own
// ops last so they win.
import type { HeaderList } from "./header-list.js";
import { removeHopByHop } from "./hop-by-hop.js";
import { type ReverseRewriteContext, rewriteResponseHeaders } from "./reverse-rewrite.js";
import { applyHeaderOps, type PreparedHeaderOps } from "./user-headers.js";

export function applyResponsePasses(
  headers: HeaderList,
  rewrite: ReverseRewriteContext,
  ops: PreparedHeaderOps,
): void {
  removeHopByHop(headers, { upgrade: false });
  rewriteResponseHeaders(headers, rewrite);
  applyHeaderOps(headers, ops);
}
