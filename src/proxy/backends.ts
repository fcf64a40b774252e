// Where routes forward to: one Backend per service named by a route (its ready instances and the
// requests held for them) and one per url. The proxy asks a Backend for a Target, and learns nothing
// about the supervisor but the SupervisorEvents fed to onEvent.
import type { Config, HoldLimits, RouteConfig } from "../config/config.js";
import type { Clock } from "../lib/clock.js";
import type { SupervisorEvent } from "../supervisor/events.js";
import { type HoldOutcome, HoldQueue } from "./hold-queue.js";
import { type UpstreamOrigins, upstreamOrigins } from "./passes/reverse-rewrite.js";
import { ServiceUpstream, type Target } from "./upstream.js";

export interface Backend {
  /** "web" or "http://127.0.0.1:9000": for messages. */
  readonly label: string;
  /** Requests may wait here for an instance (a service); a url answers 502 at once instead. */
  readonly holds: boolean;
  pick(exclude?: ReadonlySet<string>): Target | undefined;
  acquire(target: Target): void;
  release(target: Target): void;
  /** The target refused a connection. */
  markDown(target: Target): void;
  hold(sizeBytes: number, signal: AbortSignal): Promise<HoldOutcome>;
  /** Every origin meaning `target`, for reverse rewriting. */
  origins(target: Target): UpstreamOrigins;
}

class ServiceBackend implements Backend {
  readonly holds = true;
  readonly upstream: ServiceUpstream;
  readonly queue: HoldQueue;
  readonly #insidePort: number | undefined;
  readonly #origins = new Map<number, UpstreamOrigins>();

  constructor(
    readonly label: string,
    balance: "round_robin" | "least_conn",
    insidePort: number | undefined,
    clock: Clock,
    limits: HoldLimits,
  ) {
    this.upstream = new ServiceUpstream(label, balance);
    this.queue = new HoldQueue({ clock, ...limits });
    this.#insidePort = insidePort;
    this.upstream.onReady(() => this.queue.release());
  }

  pick(exclude?: ReadonlySet<string>): Target | undefined {
    return this.upstream.pick(exclude);
  }
  acquire(target: Target): void {
    this.upstream.acquire(target);
  }
  release(target: Target): void {
    this.upstream.release(target);
  }
  markDown(target: Target): void {
    this.upstream.markDown(target.instance, target.port);
  }
  hold(sizeBytes: number, signal: AbortSignal): Promise<HoldOutcome> {
    return this.queue.hold(sizeBytes, signal);
  }
  origins(target: Target): UpstreamOrigins {
    let origins = this.#origins.get(target.port);
    if (!origins) {
      const options = this.#insidePort === undefined ? {} : { insidePort: this.#insidePort };
      origins = upstreamOrigins({ host: target.host, port: target.port }, options);
      this.#origins.set(target.port, origins);
    }
    return origins;
  }
}

class UrlBackend implements Backend {
  readonly holds = false;
  readonly label: string;
  readonly #target: Target;
  readonly #origins: UpstreamOrigins;

  constructor(url: URL) {
    this.label = url.origin;
    const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    const port = url.port === "" ? 80 : Number(url.port);
    this.#target = { instance: url.host, host, port };
    this.#origins = upstreamOrigins({ host, port });
  }

  pick(exclude?: ReadonlySet<string>): Target | undefined {
    return exclude?.has(this.#target.instance) ? undefined : this.#target;
  }
  acquire(): void {}
  release(): void {}
  markDown(): void {}
  hold(): Promise<HoldOutcome> {
    return Promise.resolve("closed");
  }
  origins(): UpstreamOrigins {
    return this.#origins;
  }
}

export class Backends {
  readonly #services = new Map<string, ServiceBackend>();
  readonly #urls = new Map<string, UrlBackend>();
  readonly #byRoute = new Map<RouteConfig, Backend>();

  constructor(config: Config, clock: Clock, limits: HoldLimits) {
    for (const site of config.sites) {
      for (const route of site.routes)
        this.#byRoute.set(route, this.#backendFor(route, config, clock, limits));
    }
  }

  #backendFor(route: RouteConfig, config: Config, clock: Clock, limits: HoldLimits): Backend {
    const upstream = route.upstream;
    if (upstream.kind === "url") {
      const key = upstream.url.origin;
      let backend = this.#urls.get(key);
      if (!backend) {
        backend = new UrlBackend(upstream.url);
        this.#urls.set(key, backend);
      }
      return backend;
    }
    // Routes naming one service share its instances and its queue; the first route's balance wins
    // (rules refuse routes that disagree).
    let backend = this.#services.get(upstream.service);
    if (!backend) {
      const service = config.services.find((s) => s.name === upstream.service);
      const insidePort = service?.port.kind === "fixed" ? service.port.port : undefined;
      backend = new ServiceBackend(upstream.service, upstream.balance, insidePort, clock, limits);
      this.#services.set(upstream.service, backend);
    }
    return backend;
  }

  forRoute(route: RouteConfig): Backend {
    return this.#byRoute.get(route)!;
  }

  onEvent(event: SupervisorEvent): void {
    if ("service" in event) this.#services.get(event.service)?.upstream.onEvent(event);
  }

  /** Resolves when `instance` is out of rotation with nothing in flight (at once for services no route names). */
  drained(service: string, instance: string): Promise<void> {
    return this.#services.get(service)?.upstream.drained(instance) ?? Promise.resolve();
  }

  /** berth stops: every held request is answered, and no more are held. */
  close(): void {
    for (const backend of this.#services.values()) backend.queue.close();
  }
}
