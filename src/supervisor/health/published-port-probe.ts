// Ready when a connection to a container's published port is accepted and stays open. A plain
// TCP connect is not enough there: the engine's docker-proxy accepts every connection on the
// host port at once, then closes it when nothing listens inside the container yet (measured
// here: closed about 15 ms after the connect). So the connection must outlive HOLD_MS, or
// bring data (a server that speaks first), to count.
import { connect } from "node:net";
import { abortedResult } from "./aborted-result.js";
import type { Probe, ProbeResult, ProbeTarget } from "./probe.js";

/** How long an accepted connection must stay open: over ten times what docker-proxy takes to close it. */
export const HOLD_MS = 200;

export class PublishedPortProbe implements Probe {
  constructor(private readonly holdMs = HOLD_MS) {}

  run(target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
    const { host, port } = target;
    if (port === undefined) return Promise.resolve({ ok: false, reason: "no port to connect to" });
    if (signal.aborted) return Promise.resolve(abortedResult);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const socket = connect({ host, port });
      const finish = (result: ProbeResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        socket.destroy();
        resolve(result);
      };
      const onAbort = () => finish(abortedResult);
      signal.addEventListener("abort", onAbort, { once: true });
      socket.once("connect", () => {
        timer = setTimeout(() => finish({ ok: true }), this.holdMs);
      });
      socket.once("data", () => finish({ ok: true }));
      const closed = () =>
        finish({
          ok: false,
          reason: `connection to ${host}:${port} accepted and closed at once: the port is published, but nothing listens on it inside the container yet`,
        });
      socket.once("end", closed);
      socket.once("close", closed);
      socket.on("error", (error) =>
        finish({
          ok: false,
          reason:
            (error as NodeJS.ErrnoException).code === "ECONNRESET"
              ? `connection to ${host}:${port} reset`
              : error.message,
        }),
      );
    });
  }
}
