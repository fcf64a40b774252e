// The proxy as one component for the composition root: routers per listen address, backends fed
// by SupervisorEvents, upstream pools, the access log and the listeners. start() binds; stop()
// first stops accepting and answers held requests, close() then ends what is left.
import { join } from "node:path";
import type { Config, ListenAddress } from "../config/config.js";
import type { Clock } from "../lib/clock.js";
import type { SupervisorEvent } from "../supervisor/events.js";
import { AccessLog } from "./access-log.js";
import { Backends } from "./backends.js";
import type { ListenerContext } from "./exchange.js";
import { InFlight } from "./in-flight.js";
import { PreparedRoutes } from "./prepared-routes.js";
import { type Listener, ProxyServer } from "./proxy-server.js";
import { buildRouter, listenKey } from "./router.js";
import { UpstreamPools } from "./upstream-pools.js";

export interface ProxyOptions {
  clock: Clock;
  /** berth's own log (a line per error answer berth made itself). */
  report: (message: string) => void;
}

export class ReverseProxy {
  readonly #backends: Backends;
  readonly #pools = new UpstreamPools();
  readonly #accessLog: AccessLog | undefined;
  readonly #server: ProxyServer;
  readonly #inFlight = new InFlight();

  constructor(config: Config, options: ProxyOptions) {
    this.#backends = new Backends(config, options.clock, config.proxy.hold);
    this.#accessLog = config.proxy.accessLog
      ? new AccessLog(join(config.stateDir, "logs", "access.log"), options.report)
      : undefined;
    const routes = new PreparedRoutes(config.sites, this.#backends);
    const routers = buildRouter(config.sites);
    const addresses = new Map<string, ListenAddress>();
    for (const site of config.sites) for (const a of site.listen) addresses.set(listenKey(a), a);
    const listeners: Listener[] = [];
    for (const [key, address] of addresses) {
      const context: ListenerContext = {
        router: routers.get(key)!,
        routes,
        pools: this.#pools,
        accessLog: this.#accessLog,
        report: options.report,
        maxHeaders: config.proxy.client.maxHeaders,
        inFlight: this.#inFlight,
      };
      const ipv6Only =
        address.host === "::" && addresses.has(listenKey({ host: "0.0.0.0", port: address.port }));
      listeners.push({ address, ipv6Only, context });
    }
    this.#server = new ProxyServer(listeners, config.proxy.client);
  }

  /** Binds every listen address; returns them as bound ("127.0.0.1:8080", "[::]:8080"). */
  start(): Promise<string[]> {
    return this.#server.start();
  }

  onEvent(event: SupervisorEvent): void {
    this.#backends.onEvent(event);
  }

  /** For the supervisor's drain step: resolves once the instance has no request in flight. */
  drained(service: string, instance: string): Promise<void> {
    return this.#backends.drained(service, instance);
  }

  /** No new connections; held requests are answered 503. Requests in flight go on. */
  stopAccepting(): void {
    this.#server.stopAccepting();
    this.#backends.close();
  }

  /**
   * Ends every connection, client and upstream, after what is in flight had up to `graceMs` to
   * finish (requests to url: upstreams, tunnels; those to services were drained by their stop).
   * Idempotent.
   */
  async close(graceMs = 0): Promise<void> {
    this.stopAccepting();
    if (graceMs > 0) await this.#inFlight.idle(graceMs);
    await this.#server.close();
    // Tunnels ended by the close log their line from their 'close' events: let those run first.
    await new Promise((resolve) => setImmediate(resolve));
    await this.#pools.close();
    await this.#accessLog?.close();
  }
}
