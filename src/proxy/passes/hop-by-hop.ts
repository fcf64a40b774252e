// Pass: remove the hop-by-hop fields (RFC 9110 §7.6.1), for requests and responses alike.
//
// Removed: Connection and every field it names, Keep-Alive, Proxy-Connection, TE, Trailer,
// Transfer-Encoding, Upgrade, Proxy-Authenticate, Proxy-Authorization.
//
// Kept on purpose:
// - `Upgrade` and `Connection: upgrade` when the message is an upgrade berth will tunnel
//   (`upgrade: true`): the upstream must see the request it is asked to switch protocols for.
// - `TE: trailers`, when the inbound TE listed the `trailers` token. TE is hop-by-hop, so the inbound
//   field is always removed (with any transfer codings berth would not decode); re-sending `trailers`
//   is berth's own statement as the upstream's client, and it is true because berth relays trailers.
//   gRPC-style backends refuse requests without it. (Go's httputil.ReverseProxy does the same.)
// - Host and Content-Length even when Connection names them: dropping them on a client's say-so would
//   misroute the request or change its framing upstream (the "hop-by-hop abuse" trick).

import { CONNECTION_HEADERS, PROXY_AUTH_HEADERS } from "../../lib/http-headers.js";
import { equalsLower, type HeaderList } from "./header-list.js";

export interface HopByHopOptions {
  /** The message is an Upgrade (WebSocket…) the proxy will tunnel: keep Upgrade and Connection: upgrade. */
  upgrade: boolean;
}

/** Always hop-by-hop, whatever Connection says. Lower case. */
const FIXED: readonly string[] = [...CONNECTION_HEADERS, ...PROXY_AUTH_HEADERS];

/** Never removed because Connection names them. */
const PROTECTED = new Set(["host", "content-length"]);

function isFixed(name: string): boolean {
  // Cheap rejection first: every fixed name starts with c, k, p, t or u.
  let c = name.charCodeAt(0);
  if (c >= 65 && c <= 90) c |= 32;
  if (c !== 99 && c !== 107 && c !== 112 && c !== 116 && c !== 117) return false;
  for (const fixed of FIXED) if (equalsLower(name, fixed)) return true;
  return false;
}

/** The connection-options of every Connection field, lower case, protected names left out. */
function connectionOptions(headers: HeaderList): Set<string> | undefined {
  let options: Set<string> | undefined;
  for (let i = headers.indexOf("connection"); i !== -1; i = headers.indexOf("connection", i + 1)) {
    const value = headers.value(i);
    // Nearly every message says just this; both name no field (isFixed removes keep-alive anyway).
    if (equalsLower(value, "keep-alive") || equalsLower(value, "close")) continue;
    for (const part of value.split(",")) {
      const token = part.trim().toLowerCase();
      if (token === "" || PROTECTED.has(token)) continue;
      options ??= new Set();
      options.add(token);
    }
  }
  return options;
}

/** True when some TE value lists the `trailers` token. */
function acceptsTrailers(headers: HeaderList): boolean {
  for (let i = headers.indexOf("te"); i !== -1; i = headers.indexOf("te", i + 1)) {
    for (const part of headers.value(i).split(",")) {
      // A t-codings element may carry a weight: "trailers" never does, but be lenient about spaces.
      if (part.trim().toLowerCase() === "trailers") return true;
    }
  }
  return false;
}

/** Removes the hop-by-hop fields from `headers` in place. */
export function removeHopByHop(headers: HeaderList, options: HopByHopOptions): void {
  const named = connectionOptions(headers);
  const trailers = headers.has("te") && acceptsTrailers(headers);
  const keepUpgrade = options.upgrade && headers.has("upgrade");

  headers.removeWhere((name) => {
    if (keepUpgrade && equalsLower(name, "upgrade")) return false;
    if (isFixed(name)) return true;
    return named?.has(name.toLowerCase()) === true;
  });

  if (keepUpgrade) headers.add("Connection", "upgrade");
  if (trailers) headers.add("TE", "trailers");
}
