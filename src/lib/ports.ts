// Finding and checking TCP ports the way a server would bind them.
import { once } from "node:events";
import { createServer, isIPv4, isIPv6 } from "node:net";

/** A port that was free a moment ago (listen on 0, read it, close). Someone may take it meanwhile. */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  // once() rejects if "error" comes first.
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (address === null || typeof address === "string")
    throw new Error(`finding a free port on ${host}: no address`);
  return address.port;
}

/** Whether a server could listen on port at host right now. */
export async function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  for (const candidate of addressesToCheck(host)) {
    if (!(await canListen(port, candidate.host, candidate.ipv6Only))) return false;
  }
  return true;
}

/**
 * The host itself, plus its family's wildcard. On Linux a bind to 127.0.0.1 already fails when
 * someone holds 0.0.0.0, but BSD-derived systems let the more specific bind succeed, and the
 * server that later binds would then share the port with a stranger.
 */
export function addressesToCheck(host: string): { host: string; ipv6Only: boolean }[] {
  if (isIPv4(host) && host !== "0.0.0.0") {
    return [
      { host, ipv6Only: false },
      { host: "0.0.0.0", ipv6Only: false },
    ];
  }
  if (isIPv6(host) && host !== "::") {
    return [
      { host, ipv6Only: true },
      { host: "::", ipv6Only: true },
    ];
  }
  // "::" is dual-stack, as a server listening there would be; a name is checked as given.
  return [{ host, ipv6Only: false }];
}

async function canListen(port: number, host: string, ipv6Only: boolean): Promise<boolean> {
  const server = createServer();
  // exclusive: in a cluster worker, do not ask the primary for a shared handle.
  server.listen({ port, host, ipv6Only, exclusive: true });
  try {
    await once(server, "listening");
  } catch {
    // EADDRINUSE, EACCES (privileged port), EADDRNOTAVAIL (no such address): a server could not listen.
    return false;
  }
  server.close();
  await once(server, "close");
  return true;
}
