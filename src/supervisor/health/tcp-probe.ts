// Ready when a TCP connection to the Instance's port is accepted.
import { connect } from "node:net";
import { abortedResult } from "./aborted-result.js";
import type { Probe, ProbeResult, ProbeTarget } from "./probe.js";

export class TcpProbe implements Probe {
  run(target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
    const { host, port } = target;
    if (port === undefined) return Promise.resolve({ ok: false, reason: "no port to connect to" });
    if (signal.aborted) return Promise.resolve(abortedResult);
    return new Promise((resolve) => {
      const socket = connect({ host, port });
      const finish = (result: ProbeResult) => {
        signal.removeEventListener("abort", onAbort);
        // Only the handshake matters; close at once so the backend sees a short-lived connection.
        socket.destroy();
        resolve(result);
      };
      const onAbort = () => finish(abortedResult);
      signal.addEventListener("abort", onAbort, { once: true });
      socket.once("connect", () => finish({ ok: true }));
      socket.on("error", (error) => finish({ ok: false, reason: error.message }));
    });
  }
}
