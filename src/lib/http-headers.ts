// Header names that belong to one connection, not to the message: shared by the proxy, which
// removes them (proxy/passes/hop-by-hop.ts), and the config, which refuses header ops on them.

/** Hop-by-hop and framing fields of a connection (RFC 9110 §7.6.1, RFC 9112 §6). Lower case. */
export const CONNECTION_HEADERS = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
] as const;

/** Credentials for the proxy itself: hop-by-hop, but a header op may set them for an upstream proxy. */
export const PROXY_AUTH_HEADERS = ["proxy-authenticate", "proxy-authorization"] as const;
