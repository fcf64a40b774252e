// The proxy's listeners: one net server per listen address, each connection served by a
// ClientConnection (no node:http: see client-connection.ts), with the limits that keep slow or
// hostile clients from exhausting berth (head size and count, head and request timeouts, idle
// connections). Errors a connection cannot give to a request's exchange are answered here,
// briefly, with a request id and an access log line.
import { createServer, type Server, type Socket } from "node:net";
import type { ClientLimits, ListenAddress } from "../config/config.js";
import { portHolder } from "../lib/port-holder.js";
import { ClientConnection, type ConnectionHandlers } from "./client-connection.js";
import type { ClientResponse } from "./client-response.js";
import { type ListenerContext, serveRequest } from "./exchange.js";
import type { IncomingRequest } from "./incoming-request.js";
import { endLingering } from "./lingering-close.js";
import { clientAddress } from "./passes/forwarded.js";
import {
  clientErrorFailure,
  type ErrorAnswer,
  errorAnswer,
  errorBody,
  errorResponseText,
  sendError,
} from "./proxy-error.js";
import { nextRequestId } from "./request-id.js";
import { serveUpgrade } from "./upgrade.js";

export interface Listener {
  address: ListenAddress;
  /** Also true when another listener on the same port takes IPv4 ("::" next to "0.0.0.0"). */
  ipv6Only: boolean;
  context: ListenerContext;
}

/** An answer berth makes on a bare connection (no exchange began); its id is in the access log too. */
function refuseConnection(
  context: ListenerContext,
  socket: Socket,
  answer: ErrorAnswer,
  req?: IncomingRequest,
): void {
  const requestId = nextRequestId();
  const head = req?.method === "HEAD";
  endLingering(socket, errorResponseText(answer, requestId, head));
  const remote = socket.remoteAddress;
  context.accessLog?.write({
    at: Date.now(),
    client: remote === undefined ? "-" : clientAddress(remote),
    host: "",
    method: req?.method ?? "-",
    target: req?.url ?? "-",
    status: answer.status,
    bytes: head ? 0 : Buffer.byteLength(errorBody(answer, requestId)),
    instance: "-",
    durationMs: 0,
    requestId,
  });
}

function onClientError(
  context: ListenerContext,
  code: string,
  socket: Socket,
  req: IncomingRequest | undefined,
  res: ClientResponse | undefined,
): void {
  const failure = clientErrorFailure(code);
  // A request whose own body broke its framing (a bad chunk, a Transfer-Encoding llhttp refuses
  // only after the head) or came too slowly.
  if (req !== undefined && failure.kind === "bad_request" && failure.status === 400) {
    failure.detail = "malformed request body";
  }
  if (res === undefined) refuseConnection(context, socket, errorAnswer(failure), req);
  else if (!res.headersSent) sendError(res, errorAnswer(failure), res.requestId ?? nextRequestId());
}

export class ProxyServer {
  readonly #servers: Server[] = [];
  /** Each server's 'close', which comes once its last connection is gone. */
  readonly #serversClosed: Promise<void>[] = [];
  readonly #listeners: Listener[];
  readonly #limits: ClientLimits;
  readonly #connections = new Set<ClientConnection>();
  /** Upgraded connections leave their ClientConnection: close() ends them itself. */
  readonly #tunnels = new Set<Socket>();
  #beat: NodeJS.Timeout | undefined;

  constructor(listeners: Listener[], limits: ClientLimits) {
    this.#listeners = listeners;
    this.#limits = limits;
  }

  /** Binds every address; on the first failure closes what was bound and throws a message that says what to do. */
  async start(): Promise<string[]> {
    const bound: string[] = [];
    for (const listener of this.#listeners) {
      const server = this.#create(listener.context);
      try {
        await listen(server, listener);
      } catch (error) {
        await this.close();
        throw await bindError(error as NodeJS.ErrnoException, listener.address);
      }
      this.#servers.push(server);
      this.#serversClosed.push(new Promise((resolve) => server.once("close", () => resolve())));
      const a = server.address();
      if (a && typeof a === "object")
        bound.push(a.family === "IPv6" ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`);
    }
    // The keep-alive, head and request timeouts are checked on a beat, as node:http checks the
    // latter two: at most a second late, and sooner for short timeouts.
    const { headerTimeoutMs, keepAliveTimeoutMs } = this.#limits;
    const beatMs = Math.max(250, Math.min(1000, headerTimeoutMs / 2, keepAliveTimeoutMs / 2));
    this.#beat = setInterval(this.#checkTimeouts, beatMs).unref();
    return bound;
  }

  readonly #checkTimeouts = (): void => {
    const now = Date.now();
    for (const connection of this.#connections) connection.checkTimeouts(now);
  };

  #create(context: ListenerContext): Server {
    const limits = this.#limits;
    const connections = this.#connections;
    const tunnels = this.#tunnels;
    const handlers: ConnectionHandlers = {
      request: (req, res) => serveRequest(context, req, res),
      upgrade: (req, socket, head) => {
        // Out of its ClientConnection: close() must find it to end it.
        tunnels.add(socket);
        socket.once("close", () => tunnels.delete(socket));
        if (req.method === "CONNECT") {
          const answer = errorAnswer({
            kind: "not_implemented",
            detail: "berth is not a forward proxy (CONNECT)",
          });
          refuseConnection(context, socket, answer, req);
          return;
        }
        void serveUpgrade(context, req, socket, head);
      },
      clientError: (code, socket, req, res) => onClientError(context, code, socket, req, res),
      report: context.report,
      closed: (connection) => connections.delete(connection),
    };
    // Half-open: a client's FIN is seen as such (the connection decides), not answered by node.
    return createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      const remoteAddress = socket.remoteAddress ?? "";
      const peer = {
        remoteAddress,
        client: remoteAddress === "" ? "-" : clientAddress(remoteAddress),
        localAddress: socket.localAddress ?? "",
        localPort: socket.localPort ?? 0,
      };
      connections.add(new ClientConnection(socket, peer, limits, handlers));
    });
  }

  /** Stops accepting connections; requests in flight go on, each connection closes after its own. */
  stopAccepting(): void {
    for (const server of this.#servers) server.close();
    for (const connection of this.#connections) connection.closeWhenIdle();
  }

  /** Ends every client connection. Idempotent. */
  async close(): Promise<void> {
    clearInterval(this.#beat);
    for (const server of this.#servers.splice(0)) if (server.listening) server.close();
    for (const socket of this.#tunnels) socket.destroy();
    for (const connection of this.#connections) connection.socket.destroy();
    await Promise.all(this.#serversClosed.splice(0));
  }
}

function listen(server: Server, listener: Listener): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(
      { host: listener.address.host, port: listener.address.port, ipv6Only: listener.ipv6Only },
      () => {
        server.off("error", reject);
        resolve();
      },
    );
  });
}

async function bindError(error: NodeJS.ErrnoException, address: ListenAddress): Promise<Error> {
  const where = address.host.includes(":")
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
  if (error.code === "EADDRINUSE") {
    const holder = await portHolder(address.port);
    const who = holder ? ` by pid ${holder.pid} (${holder.command})` : "";
    return new Error(
      `listening on ${where}: the port is already in use${who}; stop it or change the site's listen`,
    );
  }
  if (error.code === "EACCES") {
    return new Error(
      `listening on ${where}: permission denied; ports below 1024 need root or CAP_NET_BIND_SERVICE, or choose a port above 1023`,
    );
  }
  if (error.code === "EADDRNOTAVAIL") {
    return new Error(
      `listening on ${where}: this machine has no such address; listen on one of its own addresses`,
    );
  }
  return new Error(`listening on ${where}: ${error.message}`);
}
