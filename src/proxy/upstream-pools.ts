// Keep-alive connection pools to upstreams, one per address and connect timeout. A pool for an
// address nobody dials any more (an instance that moved to another port) only holds idle
// connections, which close by themselves after the upstream's keep-alive time.
import type { Target } from "./upstream.js";
import { UpstreamPool } from "./upstream-client.js";

export class UpstreamPools {
  readonly #pools = new Map<string, UpstreamPool>();

  get(target: Target, connectTimeoutMs: number): UpstreamPool {
    const key = `${target.host}|${target.port}|${connectTimeoutMs}`;
    let pool = this.#pools.get(key);
    if (!pool) {
      pool = new UpstreamPool(target.host, target.port, { connectTimeoutMs });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /** Ends every connection at once (berth stops after its requests were given their chance). */
  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    for (const pool of pools) pool.close();
  }
}
