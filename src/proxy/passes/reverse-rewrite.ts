// Pass: reverse rewriting of response headers (Apache's ProxyPassReverse, issue 3 point 3).
//
// Location, Content-Location, URI and Refresh ("5; url=…") values that point at the upstream are
// rewritten to the public origin, with the stripped prefix put back:
//   http://127.0.0.1:41234/x  →  https://example.com/api/x   (route /api, strip_prefix)
// "The upstream" is every origin in UpstreamOrigins: the address dialed, its localhost / 127.0.0.1 /
// [::1] forms when it is a loopback address, the same names on the service's inside port (a container
// answering `http://localhost:80/x`), and any extra origins given. Other origins are left alone.
// A path-absolute reference ("/x") gets the prefix put back too; relative ones ("x", "../x") already
// resolve against the public URL and are left alone.
//
// Set-Cookie: `Path=` gets the prefix put back (`/` → `/api`, `/x` → `/api/x`). A `Domain=` naming an
// upstream host is *dropped*, not replaced by the public host: an upstream that names its own inside
// name (localhost, 127.0.0.1) can only have meant "this host", and a host-only cookie (no Domain) is
// exactly that for whatever public name the browser used. Replacing it would widen the cookie to every
// subdomain of the public host, and would be wrong when a site answers to several names or to an IP
// (browsers refuse Domain= with an IP that is not the host). Other Domain values are left alone.

import { equalsLower, type HeaderList, startsWithLower } from "./header-list.js";

export interface UpstreamOrigins {
  /** "http://127.0.0.1:41234", lower case, no trailing slash. */
  origins: readonly string[];
  /** The same from "//" on, for protocol-relative references. */
  authorities: readonly string[];
  /** Host names that, as a cookie's Domain, mean the upstream: "127.0.0.1", "localhost", "::1"… */
  hosts: ReadonlySet<string>;
}

export interface UpstreamAddress {
  scheme?: "http" | "https";
  /** As dialed: "127.0.0.1", "::1" (brackets optional), "backend.internal". */
  host: string;
  port: number;
}

export interface UpstreamOriginOptions {
  /** The port the service listens on inside its container (`port:`), caught on localhost names. */
  insidePort?: number;
  /** More origins meaning the upstream, as "http://name:port". */
  extra?: readonly string[];
}

const LOOPBACK = ["localhost", "127.0.0.1", "[::1]"];

function defaultPort(scheme: string): number {
  return scheme === "https" ? 443 : 80;
}

function bracketed(host: string): string {
  const lower = host.toLowerCase();
  return lower.indexOf(":") !== -1 && !lower.startsWith("[") ? `[${lower}]` : lower;
}

function isLoopback(host: string): boolean {
  const h = bracketed(host);
  return h === "localhost" || h === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Every origin that means the upstream; build once per upstream (not per request). */
export function upstreamOrigins(
  dialed: UpstreamAddress,
  options: UpstreamOriginOptions = {},
): UpstreamOrigins {
  const origins = new Set<string>();
  const hosts = new Set<string>();
  const addHost = (host: string) => {
    const h = bracketed(host);
    hosts.add(h);
    if (h.startsWith("[")) hosts.add(h.slice(1, -1));
  };
  const add = (scheme: string, host: string, port: number) => {
    const h = bracketed(host);
    addHost(h);
    origins.add(`${scheme}://${h}:${port}`);
    if (port === defaultPort(scheme)) origins.add(`${scheme}://${h}`);
  };
  const scheme = dialed.scheme ?? "http";
  add(scheme, dialed.host, dialed.port);
  if (isLoopback(dialed.host)) for (const name of LOOPBACK) add(scheme, name, dialed.port);
  if (options.insidePort !== undefined) {
    for (const name of LOOPBACK) add("http", name, options.insidePort);
  }
  for (const text of options.extra ?? []) {
    const url = new URL(text);
    const s = url.protocol.slice(0, -1);
    add(s, url.hostname, url.port === "" ? defaultPort(s) : Number(url.port));
  }
  const list = [...origins];
  return { origins: list, authorities: list.map((o) => o.slice(o.indexOf("//"))), hosts };
}

/**
 * The public origin for a request: scheme plus the client's Host, lower-cased, with the port left
 * out when it is the scheme's default ("example.com:443" over https → "https://example.com").
 */
export function publicOrigin(scheme: "http" | "https", host: string): string {
  const h = host.toLowerCase();
  const close = h.startsWith("[") ? h.indexOf("]") : -1;
  const colon = h.indexOf(":", close + 1);
  if (colon !== -1 && Number(h.slice(colon + 1)) === defaultPort(scheme)) {
    return `${scheme}://${h.slice(0, colon)}`;
  }
  return `${scheme}://${h}`;
}

export interface ReverseRewriteContext {
  upstream: UpstreamOrigins;
  /** From publicOrigin(): "https://example.com", "http://example.com:8080". */
  publicOrigin: string;
  /** The stripped route prefix ("/api"), or "" when the route does not strip one (or is "/"). */
  prefix: string;
}

/** A reference's path part ends the origin: end, "/", "?" or "#". */
function atBoundary(value: string, at: number): boolean {
  if (at === value.length) return true;
  const c = value.charCodeAt(at);
  return c === 47 || c === 63 || c === 35;
}

function withPrefix(prefix: string, rest: string): string {
  if (prefix === "") return rest;
  return rest.charCodeAt(0) === 47 ? prefix + rest : `${prefix}/${rest}`;
}

/** The rewritten URI reference, or undefined when it does not point at the upstream. */
export function rewriteUrl(value: string, ctx: ReverseRewriteContext): string | undefined {
  if (value.charCodeAt(0) === 47) {
    if (value.charCodeAt(1) !== 47) return ctx.prefix === "" ? undefined : ctx.prefix + value;
    for (const authority of ctx.upstream.authorities) {
      if (startsWithLower(value, authority) && atBoundary(value, authority.length)) {
        const pub = ctx.publicOrigin.slice(ctx.publicOrigin.indexOf("//"));
        return pub + withPrefix(ctx.prefix, value.slice(authority.length));
      }
    }
    return undefined;
  }
  for (const origin of ctx.upstream.origins) {
    if (startsWithLower(value, origin) && atBoundary(value, origin.length)) {
      return ctx.publicOrigin + withPrefix(ctx.prefix, value.slice(origin.length));
    }
  }
  return undefined;
}

const REFRESH = /^(\s*[\d.]+\s*[;,]\s*(?:url\s*=\s*)?)(.*?)\s*$/i;

/** "5; url=http://127.0.0.1:41234/x" → "5; url=https://example.com/x"; undefined when unchanged. */
export function rewriteRefresh(value: string, ctx: ReverseRewriteContext): string | undefined {
  const match = REFRESH.exec(value);
  if (match === null || match[2] === "") return undefined;
  const head = match[1]!;
  let url = match[2]!;
  const quote = url[0] === "'" || url[0] === '"' ? url[0] : "";
  if (quote !== "" && url.length > 1 && url.endsWith(quote)) url = url.slice(1, -1);
  const rewritten = rewriteUrl(url, ctx);
  return rewritten === undefined ? undefined : head + quote + rewritten + quote;
}

/** Set-Cookie with Path= prefixed and an upstream Domain= dropped; undefined when unchanged. */
export function rewriteSetCookie(value: string, ctx: ReverseRewriteContext): string | undefined {
  if (ctx.prefix === "" && !/domain/i.test(value)) return undefined;
  const parts = value.split(";");
  let changed = false;
  let out = parts[0]!;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    const eq = part.indexOf("=");
    const name = (eq === -1 ? part : part.slice(0, eq)).trim();
    const attr = eq === -1 ? "" : part.slice(eq + 1).trim();
    if (equalsLower(name, "domain")) {
      const domain = (attr.startsWith(".") ? attr.slice(1) : attr).toLowerCase();
      if (ctx.upstream.hosts.has(domain)) {
        changed = true;
        continue;
      }
    } else if (ctx.prefix !== "" && equalsLower(name, "path") && attr.startsWith("/")) {
      out += `; ${name}=${attr === "/" ? ctx.prefix : ctx.prefix + attr}`;
      changed = true;
      continue;
    }
    out += `;${part}`;
  }
  return changed ? out : undefined;
}

/** Rewrites the response headers in `headers` in place. */
export function rewriteResponseHeaders(headers: HeaderList, ctx: ReverseRewriteContext): void {
  for (let i = 0; i < headers.size; i++) {
    const name = headers.name(i);
    let next: string | undefined;
    if (equalsLower(name, "location") || equalsLower(name, "content-location") || equalsLower(name, "uri")) {
      next = rewriteUrl(headers.value(i), ctx);
    } else if (equalsLower(name, "refresh")) {
      next = rewriteRefresh(headers.value(i), ctx);
    } else if (equalsLower(name, "set-cookie")) {
      next = rewriteSetCookie(headers.value(i), ctx);
    }
    if (next !== undefined) headers.setValue(i, next);
  }
}
