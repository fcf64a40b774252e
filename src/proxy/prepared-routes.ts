// What each site and route needs on the hot path, computed once from the config: header ops with
// lower-cased names, the trust check, the prefix to put back when rewriting, the backend.
import type { RouteConfig, SiteConfig } from "../config/config.js";
import type { Backend, Backends } from "./backends.js";
import { type TrustCheck, trustedProxies } from "./passes/trusted-proxies.js";
import { type PreparedHeaderOps, prepareHeaderOps } from "./passes/user-headers.js";

export interface PreparedRoute {
  config: RouteConfig;
  backend: Backend;
  requestOps: PreparedHeaderOps;
  responseOps: PreparedHeaderOps;
  /** The stripped prefix ("/api") to put back in rewritten URLs, or "". */
  prefix: string;
}

export class PreparedRoutes {
  readonly #routes = new Map<RouteConfig, PreparedRoute>();
  readonly #trust = new Map<SiteConfig, TrustCheck>();

  constructor(sites: readonly SiteConfig[], backends: Backends) {
    for (const site of sites) {
      this.#trust.set(site, trustedProxies(site.trustedProxies));
      for (const route of site.routes) {
        this.#routes.set(route, {
          config: route,
          backend: backends.forRoute(route),
          requestOps: prepareHeaderOps(route.requestHeaders),
          responseOps: prepareHeaderOps(route.responseHeaders),
          prefix: route.stripPrefix && route.path !== "/" ? route.path : "",
        });
      }
    }
  }

  route(route: RouteConfig): PreparedRoute {
    return this.#routes.get(route)!;
  }

  trusts(site: SiteConfig, address: string): boolean {
    return this.#trust.get(site)!(address);
  }
}
