// Keep-alive connection pools to upstreams, one per address and connect timeout. A pool for an
// address nobody dials any more (an instance that moved to another port) only holds idle
// connections, which close by themselves after the upstream's keep-alive time.
import { Pool } from "undici";
import type { Target } from "./upstream.js";

export class UpstreamPools {
  readonly #pools = new Map<string, Pool>();

  get(target: Target, connectTimeoutMs: number): Pool {
    const key = `${target.host}|${target.port}|${connectTimeoutMs}`;
    let pool = this.#pools.get(key);
    if (!pool) {
      const host = target.host.includes(":") ? `[${target.host}]` : target.host;
      pool = new Pool(`http://${host}:${target.port}`, {
        connect: { timeout: connectTimeoutMs },
        // The client's request and berth's answer are one exchange: one request per connection
        // at a time, so a slow response never holds up another client's.
        pipelining: 1,
        keepAliveTimeout: 4_000,
        keepAliveMaxTimeout: 60_000,
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /** Ends every connection at once (berth stops after its requests were given their chance). */
  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.destroy().catch(() => {})));
  }
}
