// Rules about sites that span sites, or sites and services: a route's service must exist and
// have a port, and has one balance; one default site per listen address; no two sites answering the same host on
// one address. Keys that had errors of their own are skipped (see NormalizedSite.broken).
import { didYouMean } from "../lib/did-you-mean.js";
import { error, type PathIssue } from "./issue.js";
import type { NormalizedService } from "./normalize.js";
import { formatListen } from "./site-formats.js";
import type { NormalizedSite } from "./sites.js";

export function checkSites(
  sites: NormalizedSite[],
  services: NormalizedService[],
  names: string[],
  issues: PathIssue[],
): void {
  for (const site of sites) checkRouteServices(site, services, names, issues);
  checkBalance(sites, issues);
  checkDefaults(sites, issues);
  checkHostOverlap(sites, issues);
}

function checkRouteServices(
  site: NormalizedSite,
  services: NormalizedService[],
  names: string[],
  issues: PathIssue[],
): void {
  for (const { config, index } of site.routes) {
    if (config.upstream.kind !== "service") continue;
    const name = config.upstream.service;
    const at = ["sites", site.index, "routes", index, "service"];
    if (!names.includes(name)) {
      const hint = didYouMean(name, names);
      issues.push(
        error(
          at,
          `no service named "${name}"; ${hint ? `did you mean "${hint}"?` : `services are: ${names.join(", ")}`}`,
        ),
      );
      continue;
    }
    const service = services.find((s) => s.config.name === name);
    if (!service || service.broken.has("port") || service.config.port.kind !== "none") continue;
    const add = service.config.container
      ? "add port: (the port its app listens on inside the container, like port: 80)"
      : "add port: auto (or the port it listens on)";
    issues.push(
      error(at, `service ${name} has no port, so the proxy cannot reach it; ${add} to services.${name}`),
    );
  }
}

/** A service's instances are one pool with one balance, whichever routes lead to it. */
function checkBalance(sites: NormalizedSite[], issues: PathIssue[]): void {
  const first = new Map<string, { balance: string; where: string }>();
  for (const site of sites) {
    for (const { config, index } of site.routes) {
      if (config.upstream.kind !== "service") continue;
      const { service, balance } = config.upstream;
      const where = `sites[${site.index}].routes[${index}]`;
      const seen = first.get(service);
      if (!seen) first.set(service, { balance, where });
      else if (seen.balance !== balance) {
        issues.push(
          error(
            ["sites", site.index, "routes", index, "balance"],
            `${seen.where} already spreads ${service} by balance: ${seen.balance}; a service has one balance, so write the same here`,
          ),
        );
      }
    }
  }
}

function checkDefaults(sites: NormalizedSite[], issues: PathIssue[]): void {
  const owner = new Map<string, number>();
  for (const site of sites) {
    if (!site.config.isDefault || site.broken.has("listen")) continue;
    for (const address of site.config.listen) {
      const key = formatListen(address);
      const first = owner.get(key);
      if (first === undefined) {
        owner.set(key, site.index);
        continue;
      }
      issues.push(
        error(
          ["sites", site.index, "default"],
          `sites[${first}] is already the default site on ${key}; one default per listen address`,
        ),
      );
      break;
    }
  }
}

// "" stands for "no hosts" (any host): two such sites on one address overlap too.
function checkHostOverlap(sites: NormalizedSite[], issues: PathIssue[]): void {
  const owner = new Map<string, number>();
  for (const site of sites) {
    if (site.broken.has("listen") || site.broken.has("hosts")) continue;
    const hosts = site.config.hosts.length > 0 ? site.config.hosts : [""];
    for (const host of hosts) {
      for (const address of site.config.listen) {
        const key = `${formatListen(address)} ${host}`;
        const first = owner.get(key);
        if (first === undefined) {
          owner.set(key, site.index);
          continue;
        }
        if (first === site.index) continue;
        const on = formatListen(address);
        issues.push(
          host === ""
            ? error(
                ["sites", site.index, "listen"],
                `sites[${first}] also listens on ${on} with no hosts: only one site per address can answer any host; give one of them hosts:`,
              )
            : error(
                ["sites", site.index, "hosts", site.hostIndex.get(host)!],
                `sites[${first}] already answers ${host} on ${on}; a host can belong to one site per address`,
              ),
        );
        break;
      }
    }
  }
}
