// Ready when GET http://host:port/path answers 200-399.
import { request } from "node:http";
import { abortedResult } from "./aborted-result.js";
import type { Probe, ProbeResult, ProbeTarget } from "./probe.js";

export class HttpProbe implements Probe {
  constructor(private readonly path: string) {}

  run(target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
    const { host, port } = target;
    const what = `GET ${this.path}`;
    if (port === undefined) return Promise.resolve({ ok: false, reason: `${what}: no port to connect to` });
    if (signal.aborted) return Promise.resolve(abortedResult);
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: ProbeResult) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", onAbort);
        req.destroy();
        resolve(result);
      };
      const onAbort = () => finish(abortedResult);
      // agent: false gives a fresh connection per attempt: a pooled socket could pass a probe
      // against a backend that no longer accepts new connections.
      const req = request({
        host,
        port,
        path: this.path,
        method: "GET",
        agent: false,
        headers: { Host: "localhost", "User-Agent": "berth-health", Connection: "close" },
      });
      signal.addEventListener("abort", onAbort, { once: true });
      req.on("error", (error) => finish({ ok: false, reason: `${what}: ${error.message}` }));
      req.once("response", (res) => {
        const status = res.statusCode ?? 0;
        const result: ProbeResult =
          status >= 200 && status < 400 ? { ok: true } : { ok: false, reason: `${what}: ${status}` };
        // Drain the body so the backend can finish its response cleanly before the socket closes.
        res.once("end", () => finish(result));
        res.on("error", () => finish(result));
        res.once("close", () => finish(result));
        res.resume();
      });
      req.end();
    });
  }
}
