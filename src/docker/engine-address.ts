// Where the Docker engine listens, read from DOCKER_HOST the way the docker CLI reads it:
// `unix:///path/to/docker.sock` or `tcp://host:port`; unset means the default unix socket.

export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";
/** The engine's plain-HTTP port, the docker CLI's default for `tcp://host` without one. */
const DEFAULT_TCP_PORT = 2375;

export type EngineAddress =
  | { kind: "unix"; socketPath: string }
  | { kind: "tcp"; host: string; port: number };

/** Thrown for a DOCKER_HOST berth cannot use; the message says what would be valid. */
export class DockerHostError extends Error {
  override name = "DockerHostError";
}

/** The address in `value` (a DOCKER_HOST); undefined or empty means the default socket. */
export function parseDockerHost(value: string | undefined): EngineAddress {
  const hint = "use unix:///path/to/docker.sock or tcp://host:port";
  if (value === undefined || value.trim() === "") return { kind: "unix", socketPath: DEFAULT_DOCKER_SOCKET };
  const text = value.trim();
  if (text.startsWith("unix://")) {
    const socketPath = text.slice("unix://".length);
    if (!socketPath.startsWith("/"))
      throw new DockerHostError(
        `reading DOCKER_HOST ${JSON.stringify(value)}: the socket path must be absolute; ${hint}`,
      );
    return { kind: "unix", socketPath };
  }
  if (text.startsWith("tcp://")) {
    let url: URL;
    try {
      url = new URL(`http://${text.slice("tcp://".length)}`);
    } catch {
      throw new DockerHostError(`reading DOCKER_HOST ${JSON.stringify(value)}: not a host:port; ${hint}`);
    }
    if (url.hostname === "" || (url.pathname !== "/" && url.pathname !== "") || url.search || url.username)
      throw new DockerHostError(`reading DOCKER_HOST ${JSON.stringify(value)}: not a host:port; ${hint}`);
    // URL keeps the brackets of an IPv6 literal; node:net wants it bare.
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    return { kind: "tcp", host, port: url.port === "" ? DEFAULT_TCP_PORT : Number(url.port) };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1];
  throw new DockerHostError(
    scheme === undefined
      ? `reading DOCKER_HOST ${JSON.stringify(value)}: no scheme; ${hint}`
      : `reading DOCKER_HOST ${JSON.stringify(value)}: the ${scheme}:// scheme is not supported; ${hint}`,
  );
}

/**
 * The address in the environment's DOCKER_HOST. TLS (DOCKER_TLS_VERIFY) is not supported: plain
 * HTTP to a TLS port fails in confusing ways, so it is refused up front.
 */
export function engineAddressFromEnv(env: NodeJS.ProcessEnv = process.env): EngineAddress {
  const address = parseDockerHost(env.DOCKER_HOST);
  if (address.kind === "tcp" && env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== "")
    throw new DockerHostError(
      "reading DOCKER_HOST: DOCKER_TLS_VERIFY is set, and berth talks to the engine without TLS; " +
        "use the engine's unix socket (unix:///var/run/docker.sock) or an engine port without TLS",
    );
  return address;
}

/** The address as DOCKER_HOST would write it: `unix:///var/run/docker.sock`, `tcp://127.0.0.1:2375`. */
export function describeAddress(address: EngineAddress): string {
  if (address.kind === "unix") return `unix://${address.socketPath}`;
  const host = address.host.includes(":") ? `[${address.host}]` : address.host;
  return `tcp://${host}:${address.port}`;
}
