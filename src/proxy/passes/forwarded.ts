// Pass: the forwarding headers, computed from the connection (issue 3 point 2), and X-Request-Id.
//
// Untrusted peer: every inbound X-Forwarded-*, Forwarded and X-Real-IP is removed first (a client
// could otherwise claim any address), then berth's own are set.
// Trusted peer (in the site's trusted_proxies):
// - X-Forwarded-For and Forwarded are appended to (multiple fields merged into one, in order);
//   our Forwarded element describes this hop: for= the peer, host= the Host we received, proto=.
// - X-Forwarded-Host, -Proto, -Port are kept as sent when present (the first proxy knows the public
//   ones), else set from this connection.
// - X-Request-Id is kept when sent (and sane), else set.
// The peer's port is not sent: RFC 7239 makes it optional, it identifies nothing useful upstream.
// The user's header ops run after this pass, so `set X-Forwarded-Port: 80` wins.

import { type HeaderList, startsWithLower } from "./header-list.js";

export interface ForwardedContext {
  /** The socket's remoteAddress: "203.0.113.7", "2001:db8::1", "::ffff:203.0.113.7". */
  peerAddress: string;
  /** The port of the listener the request arrived on. */
  localPort: number;
  /** The client connection is TLS (always false until berth terminates TLS). */
  tls: boolean;
  /** The client's Host header as received, if any. */
  host: string | undefined;
  /** The peer is in the site's trusted_proxies. */
  trusted: boolean;
  /** The id to send when no trusted X-Request-Id arrived. */
  requestId: string;
}

/** A request id from a trusted proxy is kept only if it is this plain. */
const SANE_REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

/** "::ffff:1.2.3.4" → "1.2.3.4"; an IPv6 zone ("%eth0") is dropped. Others unchanged. */
export function clientAddress(peer: string): string {
  if (startsWithLower(peer, "::ffff:") && peer.indexOf(".") !== -1) return peer.slice(7);
  const zone = peer.indexOf("%");
  return zone === -1 ? peer : peer.slice(0, zone);
}

/** RFC 7239 node for an address: IPv6 bracketed and quoted (":" is not a token character). */
export function forwardedNode(address: string): string {
  return address.indexOf(":") === -1 ? address : `"[${address}]"`;
}

/** RFC 7239 value: a token as is, anything else quoted (quotes and backslashes escaped). */
function forwardedValue(value: string): string {
  if (/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(value)) return value;
  return `"${value.replace(/["\\]/g, "\\$&")}"`;
}

function isSpoofable(name: string): boolean {
  return (
    startsWithLower(name, "x-forwarded-") ||
    (name.length === 9 && startsWithLower(name, "forwarded")) ||
    (name.length === 9 && startsWithLower(name, "x-real-ip"))
  );
}

/** Sets X-Forwarded-*, Forwarded and X-Request-Id on `headers` in place; returns the request id sent. */
export function applyForwarded(headers: HeaderList, ctx: ForwardedContext): string {
  const client = clientAddress(ctx.peerAddress);
  const proto = ctx.tls ? "https" : "http";

  let element = `for=${forwardedNode(client)}`;
  if (ctx.host !== undefined && ctx.host !== "") element += `;host=${forwardedValue(ctx.host)}`;
  element += `;proto=${proto}`;

  if (!ctx.trusted) {
    headers.removeWhere(isSpoofable);
    headers.add("X-Forwarded-For", client);
    if (ctx.host !== undefined && ctx.host !== "") headers.add("X-Forwarded-Host", ctx.host);
    headers.add("X-Forwarded-Proto", proto);
    headers.add("X-Forwarded-Port", String(ctx.localPort));
    headers.add("Forwarded", element);
    headers.set("X-Request-Id", ctx.requestId, "x-request-id");
    return ctx.requestId;
  }

  const xff = headers.joined("x-forwarded-for");
  headers.set(
    "X-Forwarded-For",
    xff === undefined || xff.trim() === "" ? client : `${xff}, ${client}`,
    "x-forwarded-for",
  );
  const fwd = headers.joined("forwarded");
  headers.set(
    "Forwarded",
    fwd === undefined || fwd.trim() === "" ? element : `${fwd}, ${element}`,
    "forwarded",
  );
  if (!headers.has("x-forwarded-host") && ctx.host !== undefined && ctx.host !== "") {
    headers.add("X-Forwarded-Host", ctx.host);
  }
  if (!headers.has("x-forwarded-proto")) headers.add("X-Forwarded-Proto", proto);
  if (!headers.has("x-forwarded-port")) headers.add("X-Forwarded-Port", String(ctx.localPort));

  const at = headers.indexOf("x-request-id");
  if (at !== -1 && headers.indexOf("x-request-id", at + 1) === -1) {
    const sent = headers.value(at);
    if (SANE_REQUEST_ID.test(sent)) return sent;
  }
  headers.set("X-Request-Id", ctx.requestId, "x-request-id");
  return ctx.requestId;
}
