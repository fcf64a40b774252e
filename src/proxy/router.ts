// The router (pure; no I/O): which Site and Route answer a request, and the path the upstream gets.
//
// buildRouter(sites) gives one Router per listen address, keyed by listenKey(address)
// ("127.0.0.1:8080", "[::1]:8080"); the proxy server of that listener keeps its Router and calls
// router.route(hostHeader, req.url) once per request. The result is one of:
//   route        a Site and Route matched; forward to upstreamPath
//   no_site      no site on this listener names the host, none takes any host, none is default → 404
//   no_route     the site matched but none of its route prefixes does → 404
//   bad_request  the target or the Host is refused (see request-path.ts) → 400
//
// Sites for a Host, in order: an exact name; the longest matching "*.domain" wildcard (one or
// more labels, like nginx: "*.example.test" matches "a.example.test" and "a.b.example.test", not
// "example.test"); a site without `hosts` (any host); the site marked default. Names are compared
// lower-cased, without the port and without one trailing dot; IPv6 literals in their canonical form.
// An absolute-form target's authority wins over the Host header (RFC 9112 §3.2.2).
//
// Routes: the longest prefix wins, on segment boundaries ("/api" matches "/api", "/api/" and
// "/api/x", not "/apix"), compared with the normalized path.

import type { ListenAddress, RouteConfig, SiteConfig } from "../config/config.js";
import { normalizePath, parseRequestTarget } from "./request-path.js";

export type RouteResult =
  | {
      kind: "route";
      site: SiteConfig;
      route: RouteConfig;
      /** The normalized request path (no query): what was matched, for logs and rewriting. */
      path: string;
      /**
       * What the upstream is sent as its request-target: the normalized path (minus the prefix
       * with strip_prefix, always starting with "/") followed by the untouched query.
       * Normalized rather than raw because the upstream must see the path that was matched: a
       * raw `/static/../admin` admitted by the `/static` route would be `/admin` upstream.
       */
      upstreamPath: string;
      /** The authority of an absolute-form target, lower-cased (it replaces Host); else undefined. */
      authority?: string;
    }
  | { kind: "no_site" }
  | { kind: "no_route"; site: SiteConfig }
  | { kind: "bad_request"; reason: string };

export interface Router {
  /**
   * @param hostHeader the Host header as received (undefined when absent, e.g. HTTP/1.0)
   * @param rawTarget the request-target as received (`req.url`)
   */
  route(hostHeader: string | undefined, rawTarget: string): RouteResult;
}

/** The key of a listen address in buildRouter's map: "host:port", IPv6 hosts in brackets. */
export function listenKey(address: ListenAddress): string {
  return address.host.includes(":") ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

const HOST_NAME = /^[a-z0-9\-._~!$&'()*+,;=]+$/;

/**
 * The host name of a Host header or authority: lower-cased, port and one trailing dot removed,
 * an IPv6 literal canonical and in brackets. "" for an empty one; undefined when it is malformed.
 */
export function hostName(value: string): string | undefined {
  if (value === "") return "";
  let host = value.toLowerCase();
  let rest: string;
  if (host.startsWith("[")) {
    const close = host.indexOf("]");
    if (close < 0) return undefined;
    rest = host.slice(close + 1);
    host = canonicalIpv6(host.slice(1, close)) ?? "";
    if (host === "") return undefined;
  } else {
    const colon = host.indexOf(":");
    rest = colon < 0 ? "" : host.slice(colon);
    host = colon < 0 ? host : host.slice(0, colon);
    if (host.endsWith(".")) host = host.slice(0, -1);
    if (!HOST_NAME.test(host) || host.startsWith(".") || host.endsWith(".") || host.includes("..")) {
      return undefined;
    }
  }
  if (rest !== "" && !/^:[0-9]*$/.test(rest)) return undefined;
  return host;
}

function canonicalIpv6(literal: string): string | undefined {
  if (!/^[0-9a-f:.]+$/.test(literal)) return undefined;
  try {
    return new URL(`http://[${literal}]/`).hostname;
  } catch {
    return undefined;
  }
}

interface SiteRoutes {
  site: SiteConfig;
  /** Normalized prefix → route. */
  routes: Map<string, RouteConfig>;
}

class ListenerRouter implements Router {
  readonly exact = new Map<string, SiteRoutes>();
  /** Wildcard suffixes (".example.test"), longest first. */
  readonly wildcards: { suffix: string; site: SiteRoutes }[] = [];
  anyHost: SiteRoutes | undefined;
  fallback: SiteRoutes | undefined;

  route(hostHeader: string | undefined, rawTarget: string): RouteResult {
    const target = parseRequestTarget(rawTarget);
    if (!target.ok) return { kind: "bad_request", reason: target.reason };
    const hostValue = target.authority ?? hostHeader ?? "";
    const host = hostName(hostValue);
    if (host === undefined) return { kind: "bad_request", reason: "invalid Host" };
    const site = this.siteFor(host);
    if (!site) return { kind: "no_site" };
    const prefix = longestPrefix(site.routes, target.path);
    if (prefix === undefined) return { kind: "no_route", site: site.site };
    const route = site.routes.get(prefix)!;
    let upstream = target.path;
    if (route.stripPrefix && prefix !== "/") upstream = target.path.slice(prefix.length) || "/";
    const result: RouteResult = {
      kind: "route",
      site: site.site,
      route,
      path: target.path,
      upstreamPath: upstream + target.query,
    };
    if (target.authority !== undefined) result.authority = target.authority;
    return result;
  }

  private siteFor(host: string): SiteRoutes | undefined {
    if (host !== "") {
      const exact = this.exact.get(host);
      if (exact) return exact;
      for (const w of this.wildcards) {
        if (host.endsWith(w.suffix)) return w.site; // never the bare domain: hostName refuses a leading dot
      }
    }
    return this.anyHost ?? this.fallback;
  }
}

/** The longest route prefix that covers `path` on a segment boundary. */
function longestPrefix(routes: Map<string, RouteConfig>, path: string): string | undefined {
  let candidate = path;
  for (;;) {
    if (routes.has(candidate)) return candidate;
    if (candidate === "/") return undefined;
    const slash = candidate.lastIndexOf("/");
    candidate = slash <= 0 ? "/" : candidate.slice(0, slash);
  }
}

/** A route's `path` in the form requests are matched in: normalized, no trailing "/" (but "/"). */
function routePrefix(path: string): string {
  const normalized = normalizePath(path);
  if (!normalized.ok)
    throw new Error(`building router: route path ${JSON.stringify(path)}: ${normalized.reason}`);
  const p = normalized.path;
  return p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p;
}

/** A configured host: "" never; "*.x" → wildcard suffix ".x"; else its hostName. */
function hostPattern(pattern: string): { wildcard: boolean; name: string } {
  const wildcard = pattern.startsWith("*.");
  let bare = wildcard ? pattern.slice(2) : pattern;
  if (bare.includes(":") && !bare.startsWith("[")) bare = `[${bare}]`; // a bare IPv6 address
  const name = hostName(bare);
  if (name === undefined || name === "" || name.includes("*") || (wildcard && name.startsWith("["))) {
    throw new Error(`building router: host ${JSON.stringify(pattern)} is not a host name or *.domain`);
  }
  return { wildcard, name };
}

/**
 * One Router per listen address. Throws on what cannot be routed unambiguously (the config
 * rules should have reported these with file:line first): a host named by two sites of one
 * listener, two any-host sites or two default sites on one listener, two routes of a site with
 * the same prefix, a malformed host or route path.
 */
export function buildRouter(sites: SiteConfig[]): Map<string, Router> {
  const routers = new Map<string, ListenerRouter>();
  for (const site of sites) {
    const entry: SiteRoutes = { site, routes: new Map() };
    for (const route of site.routes) {
      const prefix = routePrefix(route.path);
      if (entry.routes.has(prefix)) throw new Error(`building router: two routes with path ${prefix}`);
      entry.routes.set(prefix, route);
    }
    for (const key of new Set(site.listen.map(listenKey))) {
      let router = routers.get(key);
      if (!router) {
        router = new ListenerRouter();
        routers.set(key, router);
      }
      if (site.hosts.length === 0) {
        if (router.anyHost) throw new Error(`building router: two sites for any host on ${key}`);
        router.anyHost = entry;
      }
      if (site.isDefault) {
        if (router.fallback) throw new Error(`building router: two default sites on ${key}`);
        router.fallback = entry;
      }
      for (const pattern of site.hosts) {
        const { wildcard, name } = hostPattern(pattern);
        if (wildcard) {
          const suffix = `.${name}`;
          if (router.wildcards.some((w) => w.suffix === suffix)) {
            throw new Error(`building router: host *${suffix} named twice on ${key}`);
          }
          router.wildcards.push({ suffix, site: entry });
        } else {
          if (router.exact.has(name)) throw new Error(`building router: host ${name} named twice on ${key}`);
          router.exact.set(name, entry);
        }
      }
    }
  }
  for (const router of routers.values()) router.wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
  return routers;
}
