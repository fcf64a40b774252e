// Where routes forward to: one Backend per service named by a route (its ready instances and the
// requests held for them) and one per url. The proxy asks a Backend for a Target, and learns nothing
// about the supervisor but the SupervisorEvents fed to onEvent.
import type { Config, HoldLimits, RouteConfig } from "../config/config.js";
import type { Clock, Timer } from "../lib/clock.js";
import type { SupervisorEvent } from "../supervisor/events.js";
import { TcpProbe } from "../supervisor/health/tcp-probe.js";
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

/** The readiness check's own TCP connect, for instances marked down while they live. */
const TCP_PROBE = new TcpProbe();
/** A marked-down instance is tried again (a TCP connect) after this, then twice as long each time… */
const DOWN_RETRY_FIRST_MS = 50;
/** …up to this. */
const DOWN_RETRY_MAX_MS = 1000;

class ServiceBackend implements Backend {
  readonly holds = true;
  readonly upstream: ServiceUpstream;
  readonly queue: HoldQueue;
  readonly #insidePort: number | undefined;
  readonly #origins = new Map<number, UpstreamOrigins>();
  readonly #clock: Clock;
  /** Instances marked down while alive as far as the supervisor knows: tried until they accept again. */
  readonly #downRetries = new Map<string, Timer>();
  #closed = false;

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
    this.#clock = clock;
    this.upstream.onReady(() => this.queue.release());
  }

  onEvent(event: SupervisorEvent): void {
    // Whatever the supervisor says about an instance (it exited, it stops, it is ready) supersedes
    // the proxy's own retries: from now on its events say when it is back.
    if ("instance" in event) this.#stopRetrying(event.instance);
    this.upstream.onEvent(event);
  }

  close(): void {
    this.#closed = true;
    for (const instance of [...this.#downRetries.keys()]) this.#stopRetrying(instance);
    this.queue.close();
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
    // Only one in rotation until now: one that is stopping must not be brought back.
    const wasIn = this.upstream.isInRotation(target.instance);
    this.upstream.markDown(target.instance, target.port);
    // The readiness probe stops once an instance is ready, so no InstanceReady would ever bring
    // back one that refused for a moment while its process lived on (a server reloading in
    // place, a dev server restarting its child): until the supervisor says more about it, the
    // proxy tries it itself and puts it back in rotation once it accepts connections again.
    if (
      wasIn &&
      this.upstream.isDown(target.instance) &&
      !this.#downRetries.has(target.instance) &&
      !this.#closed
    )
      this.#retryLater(target, DOWN_RETRY_FIRST_MS);
  }

  #retryLater(target: Target, delayMs: number): void {
    const timer = this.#clock.setTimer(delayMs, async () => {
      const probe = { host: target.host, port: target.port, cwd: "/", env: {} };
      const result = await TCP_PROBE.run(probe, AbortSignal.timeout(DOWN_RETRY_MAX_MS));
      if (this.#downRetries.get(target.instance) !== timer) return; // superseded meanwhile
      if (!result.ok) return this.#retryLater(target, Math.min(delayMs * 2, DOWN_RETRY_MAX_MS));
      this.#downRetries.delete(target.instance);
      this.upstream.onEvent({
        type: "InstanceReady",
        service: this.label,
        instance: target.instance,
        port: target.port,
        afterMs: 0,
      });
    });
    this.#downRetries.set(target.instance, timer);
  }

  #stopRetrying(instance: string): void {
    this.#downRetries.get(instance)?.cancel();
    this.#downRetries.delete(instance);
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
    if ("service" in event) this.#services.get(event.service)?.onEvent(event);
  }

  /** Resolves when `instance` is out of rotation with nothing in flight (at once for services no route names). */
  drained(service: string, instance: string): Promise<void> {
    return this.#services.get(service)?.upstream.drained(instance) ?? Promise.resolve();
  }

  /** berth stops: every held request is answered, and no more are held. */
  close(): void {
    for (const backend of this.#services.values()) backend.close();
  }
}
