// `sites:` as written → SiteConfig[]: defaults filled in, listen addresses, hosts, paths and
// CIDRs normalized, durations in ms. Like the services, it tolerates what failed the schema:
// a broken key is listed (rules about it are skipped) and a broken route is left out, so the
// rules can still check the rest in the same run.
import { parseDuration } from "../lib/durations.js";
import type { HeaderOps, ListenAddress, RouteConfig, RouteTimeouts, SiteConfig } from "./config.js";
import { error, type PathIssue, type PathSegment } from "./issue.js";
import { parseCidr, parseHost, parseListen, parseRoutePath, parseUpstreamUrl } from "./site-formats.js";
import type { WrittenRoute, WrittenSite } from "./site-schema.js";

export const DEFAULT_TIMEOUTS: RouteTimeouts = { connectMs: 5_000, responseHeaderMs: 60_000, idleMs: 60_000 };

export interface NormalizedRoute {
  config: RouteConfig;
  /** Its index in the site's routes as written. */
  index: number;
}

export interface NormalizedSite {
  config: SiteConfig;
  /** Its index in sites: as written; messages name sites by it (sites[0]). */
  index: number;
  /** Keys of this site that had errors (listen, hosts, default, …): rules about them are skipped. */
  broken: Set<string>;
  /** Only the routes without errors. */
  routes: NormalizedRoute[];
  /** Where each normalized host was first written, to point at it. */
  hostIndex: Map<string, number>;
}

export function normalizeSites(
  raw: unknown,
  schemaIssues: readonly PathIssue[],
  issues: PathIssue[],
): NormalizedSite[] {
  if (!Array.isArray(raw)) return [];
  // Which sites, keys and routes failed the schema.
  const brokenSites = new Set<number>();
  const brokenKeys = new Map<number, Set<string>>();
  const brokenRoutes = new Set<string>();
  for (const { path, at } of schemaIssues) {
    if (path[0] !== "sites") continue;
    const [, i, key, j] = path;
    if (typeof i !== "number") return []; // sites itself is not a list
    if (key === undefined) {
      if (at !== "key") brokenSites.add(i);
      continue;
    }
    // One broken route leaves out that route only, not the site's other routes.
    if (key === "routes" && typeof j === "number") {
      brokenRoutes.add(`${i}/${j}`);
      continue;
    }
    const keys = brokenKeys.get(i) ?? new Set<string>();
    keys.add(String(key));
    brokenKeys.set(i, keys);
  }

  const sites: NormalizedSite[] = [];
  raw.forEach((written: unknown, index) => {
    if (brokenSites.has(index) || !isPlainObject(written)) return;
    const broken = brokenKeys.get(index) ?? new Set<string>();
    const w = written as Partial<WrittenSite>;
    const value = <K extends keyof WrittenSite>(key: K): WrittenSite[K] | undefined => {
      if (broken.has(key) || w[key] === undefined) return undefined;
      return w[key];
    };
    const at = (...path: PathSegment[]): PathSegment[] => ["sites", index, ...path];

    const listen = value("listen");
    if (listen === undefined) broken.add("listen");
    const addresses = new Map<string, ListenAddress>();
    for (const entry of listen === undefined ? [] : Array.isArray(listen) ? listen : [listen]) {
      const parsed = parseListen(entry);
      for (const address of parsed.ok ? parsed.value : [])
        addresses.set(`${address.host} ${address.port}`, address);
    }

    const hostIndex = new Map<string, number>();
    (value("hosts") ?? []).forEach((host, i) => {
      const parsed = parseHost(host);
      if (parsed.ok && !hostIndex.has(parsed.value)) hostIndex.set(parsed.value, i);
    });

    const trusted = new Set<string>();
    for (const cidr of value("trusted_proxies") ?? []) {
      const parsed = parseCidr(cidr);
      if (parsed.ok) trusted.add(parsed.value);
    }

    const routes: NormalizedRoute[] = [];
    const seen = new Map<string, number>();
    (value("routes") ?? []).forEach((route, j) => {
      if (brokenRoutes.has(`${index}/${j}`) || !isPlainObject(route)) return;
      const config = normalizeRoute(route, at("routes", j), issues);
      // A route with other errors still claims its path, so a duplicate is reported now.
      const path = parseRoutePath(route.path);
      if (!path.ok) return;
      const first = seen.get(path.value);
      if (first !== undefined) {
        const same =
          route.path === path.value
            ? ""
            : ` (${JSON.stringify(route.path)} is ${path.value} once normalized)`;
        issues.push(
          error(
            at("routes", j, "path"),
            `routes[${first}] already has the path ${path.value}${same}; a path can be routed once per site`,
          ),
        );
        return;
      }
      seen.set(path.value, j);
      if (!config) return;
      routes.push({ config, index: j });
    });

    sites.push({
      config: {
        listen: [...addresses.values()],
        hosts: [...hostIndex.keys()],
        isDefault: value("default") ?? false,
        trustedProxies: [...trusted],
        routes: routes.map((r) => r.config),
      },
      index,
      broken,
      routes,
      hostIndex,
    });
  });
  return sites;
}

function normalizeRoute(w: WrittenRoute, path: PathSegment[], issues: PathIssue[]): RouteConfig | undefined {
  const before = issues.length;
  const routePath = parseRoutePath(w.path);
  let upstream: RouteConfig["upstream"] | undefined;
  if (w.service !== undefined && w.url !== undefined) {
    issues.push(error([...path, "url"], "a route forwards to a service or to a url, not both; remove one"));
  } else if (w.service !== undefined) {
    upstream = { kind: "service", service: w.service, balance: w.balance ?? "round_robin" };
  } else if (w.url !== undefined) {
    const url = parseUpstreamUrl(w.url);
    if (url.ok) upstream = { kind: "url", url: url.value };
    if (w.balance !== undefined) {
      issues.push(
        error([...path, "balance"], "balance applies to service: routes; a url is a single server"),
      );
    }
  } else {
    issues.push(error(path, "a route needs service: (a service berth runs) or url: (a server it does not)"));
  }

  const timeouts = { ...DEFAULT_TIMEOUTS };
  const keys = { connect: "connectMs", response_header: "responseHeaderMs", idle: "idleMs" } as const;
  for (const [key, field] of Object.entries(keys)) {
    const written = w.timeouts?.[key as keyof typeof keys];
    if (written === undefined) continue;
    const ms = parseDuration(written)!;
    if (ms < 1) issues.push(error([...path, "timeouts", key], 'expected a duration above 0, like "5s"'));
    else timeouts[field] = ms;
  }

  const requestHeaders = headerOps(w.headers?.request, [...path, "headers", "request"], issues);
  const responseHeaders = headerOps(w.headers?.response, [...path, "headers", "response"], issues);
  if (issues.length > before || !routePath.ok || !upstream) return undefined;
  return {
    path: routePath.value,
    stripPrefix: w.strip_prefix ?? false,
    upstream,
    preserveHost: w.preserve_host ?? true,
    requestHeaders,
    responseHeaders,
    timeouts,
  };
}

type WrittenOps = NonNullable<NonNullable<WrittenRoute["headers"]>["request"]>;

// A header named twice (in one op, or in two: set and remove) leaves the outcome to the order
// the ops run in; berth asks for one mention instead.
function headerOps(w: WrittenOps | undefined, path: PathSegment[], issues: PathIssue[]): HeaderOps {
  const ops: HeaderOps = { set: {}, add: {}, remove: [] };
  const named = new Map<string, string>();
  const mention = (name: string, op: string, at: PathSegment[]) => {
    const first = named.get(name.toLowerCase());
    if (first === undefined) named.set(name.toLowerCase(), op);
    else {
      const message = `${name} is already named in ${first}; name each header once (case does not matter)`;
      issues.push(error(at, message, op === "remove" ? undefined : "key"));
    }
  };
  for (const op of ["set", "add"] as const) {
    for (const [name, value] of Object.entries(w?.[op] ?? {})) {
      mention(name, op, [...path, op, name]);
      ops[op][name] = String(value);
    }
  }
  (w?.remove ?? []).forEach((name, i) => {
    mention(name, "remove", [...path, "remove", i]);
    ops.remove.push(name);
  });
  return ops;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
