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

  /** Ends every connection, client and upstream. Idempotent. */
  async close(): Promise<void> {
    this.stopAccepting();
    await this.#server.close();
    await this.#pools.close();
    await this.#accessLog?.close();
  }
}
