// `proxy:` as written → ProxySettings: defaults filled in, durations and sizes in numbers, and the
// one rule that spans keys (node refuses a head timeout longer than the request timeout).
import { parseDuration } from "../lib/durations.js";
import type { ProxySettings } from "./config.js";
import { error, type PathIssue } from "./issue.js";
import type { WrittenProxy } from "./proxy-schema.js";
import { parseSize } from "./size.js";

export const DEFAULT_PROXY: ProxySettings = {
  hold: { maxWaitMs: 30_000, maxRequests: 1000, maxBytes: 16 * 1024 * 1024 },
  client: {
    headerTimeoutMs: 10_000,
    requestTimeoutMs: 300_000,
    keepAliveTimeoutMs: 15_000,
    idleTimeoutMs: 60_000,
    maxHeaderBytes: 16 * 1024,
    maxHeaders: 100,
  },
  accessLog: true,
};

/** `written` passed the schema except for the keys in `broken` (paths below proxy, joined by "."). */
export function normalizeProxy(
  written: WrittenProxy | undefined,
  broken: ReadonlySet<string>,
  issues: PathIssue[],
): ProxySettings {
  const ms = (key: string, v: string | number | undefined, fallback: number) =>
    v === undefined || broken.has(key) ? fallback : parseDuration(v)!;
  const bytes = (key: string, v: string | number | undefined, fallback: number) =>
    v === undefined || broken.has(key) ? fallback : parseSize(v)!;
  const n = (key: string, v: number | undefined, fallback: number) =>
    v === undefined || broken.has(key) ? fallback : v;
  const d = DEFAULT_PROXY;
  const h = written?.hold ?? {};
  const c = written?.client ?? {};
  const settings: ProxySettings = {
    hold: {
      maxWaitMs: ms("hold.timeout", h.timeout, d.hold.maxWaitMs),
      maxRequests: n("hold.max_requests", h.max_requests, d.hold.maxRequests),
      maxBytes: bytes("hold.max_size", h.max_size, d.hold.maxBytes),
    },
    client: {
      headerTimeoutMs: ms("client.header_timeout", c.header_timeout, d.client.headerTimeoutMs),
      requestTimeoutMs: ms("client.request_timeout", c.request_timeout, d.client.requestTimeoutMs),
      keepAliveTimeoutMs: ms("client.keepalive_timeout", c.keepalive_timeout, d.client.keepAliveTimeoutMs),
      idleTimeoutMs: ms("client.idle_timeout", c.idle_timeout, d.client.idleTimeoutMs),
      maxHeaderBytes: bytes("client.max_header_size", c.max_header_size, d.client.maxHeaderBytes),
      maxHeaders: n("client.max_headers", c.max_headers, d.client.maxHeaders),
    },
    accessLog: written?.access_log ?? d.accessLog,
  };
  const limits = settings.client;
  for (const [key, field] of [
    ["header_timeout", "headerTimeoutMs"],
    ["request_timeout", "requestTimeoutMs"],
    ["keepalive_timeout", "keepAliveTimeoutMs"],
  ] as const) {
    if (limits[field] === 0) {
      issues.push(error(["proxy", "client", key], 'expected a duration above 0, like "10s"'));
      limits[field] = d.client[field];
    }
  }
  if (limits.headerTimeoutMs > limits.requestTimeoutMs) {
    issues.push(
      error(
        ["proxy", "client", "header_timeout"],
        `must not be longer than request_timeout (${c.request_timeout ?? "5m"}): the head is part of the request`,
      ),
    );
  }
  if (limits.maxHeaderBytes < 1024) {
    issues.push(
      error(
        ["proxy", "client", "max_header_size"],
        'expected at least 1KiB: browsers send heads of several hundred bytes; "16KiB" is usual',
      ),
    );
  }
  return settings;
}
