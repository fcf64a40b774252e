// The proxy's listeners: one node:http server per listen address, with the limits that keep slow
// or hostile clients from exhausting berth (head size and count, head and request timeouts, idle
// connections), and a clientError handler that answers malformed requests itself, briefly, but
// never talks over a response that is still in flight.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { ClientLimits, ListenAddress } from "../config/config.js";
import { portHolder } from "../lib/port-holder.js";
import { type ListenerContext, requestIdOf, serveRequest } from "./exchange.js";
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

// Node's own record of the response in flight on a connection (undocumented, stable since
// node 0.x): the only way to tell, in 'clientError', whether a request is being answered.
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

function onClientError(context: ListenerContext, error: Error & { code?: string }, socket: Duplex): void {
  const pending = (socket as HttpSocket)._httpMessage;
  if (pending) {
    const req = pending.req;
    if (req && !req.complete) {
      // The request's own body broke the framing (a bad chunk, or a Transfer-Encoding llhttp
      // refuses only after the 'request' event), or came too slowly: answer it here when nothing
      // went out yet, then end the request stream. That destroys the connection, and the
      // forwarder, seeing it close, aborts the upstream request, which so never arrives whole.
      if (!pending.headersSent) {
        const failure = clientErrorFailure(error.code);
        if (failure.kind === "bad_request" && failure.status === 400)
          failure.detail = "malformed request body";
        sendError(pending, errorAnswer(failure), requestIdOf(pending) ?? nextRequestId());
      }
      req.destroy(error);
      return;
    }
    // Bytes after a complete request: node's default would write a 400 into the middle of the
    // response still going out. Let it finish, then close: the parser is dead.
    pending.shouldKeepAlive = false;
    pending.once("finish", () => socket.destroy());
    return;
  }
  if (!socket.writable || error.code === "ECONNRESET") {
    socket.destroy();
    return;
  }
  refuseConnection(context, socket as Socket, errorAnswer(clientErrorFailure(error.code)));
}

/** An answer berth makes on a bare connection (no exchange began); its id is in the access log too. */
function refuseConnection(
  context: ListenerContext,
  socket: Socket,
  answer: ErrorAnswer,
  req?: IncomingMessage,
): void {
  const requestId = nextRequestId();
  socket.end(errorResponseText(answer, requestId, req?.method === "HEAD"));
  const remote = socket.remoteAddress;
  context.accessLog?.write({
    at: Date.now(),
    client: remote === undefined ? "-" : clientAddress(remote),
    host: "",
    method: req?.method ?? "-",
    target: req?.url ?? "-",
    status: answer.status,
    bytes: req?.method === "HEAD" ? 0 : Buffer.byteLength(errorBody(answer, requestId)),
    instance: "-",
    durationMs: 0,
    requestId,
  });
}

export class ProxyServer {
  readonly #servers: Server[] = [];
  readonly #listeners: Listener[];
  readonly #limits: ClientLimits;
  /** Upgraded connections leave node:http's bookkeeping: close() ends them itself. */
  readonly #tunnels = new Set<Duplex>();

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
      const a = server.address();
      if (a && typeof a === "object")
        bound.push(a.family === "IPv6" ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`);
    }
    return bound;
  }

  #create(context: ListenerContext): Server {
    const limits = this.#limits;
    const server = createServer({
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headerTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // node checks head and request timeouts on this beat: the default 30 s would let a
      // slowloris head live 40 s instead of 10.
      connectionsCheckingInterval: Math.max(250, Math.min(1000, limits.headerTimeoutMs / 2)),
      noDelay: true,
      // A missing Host is refused by the framing check, with a request id and a log line.
      requireHostHeader: false,
    });
    // One more than allowed, so a request over the limit is seen (node drops extras silently).
    server.maxHeadersCount = limits.maxHeaders + 1;
    server.timeout = limits.idleTimeoutMs;
    server.on("request", (req: IncomingMessage, res: ServerResponse) => serveRequest(context, req, res));
    server.on("connect", (req: IncomingMessage, socket: Duplex) => {
      const answer = errorAnswer({
        kind: "not_implemented",
        detail: "berth is not a forward proxy (CONNECT)",
      });
      refuseConnection(context, socket as Socket, answer, req);
    });
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#tunnels.add(socket);
      socket.once("close", () => this.#tunnels.delete(socket));
      void serveUpgrade(context, req, socket, head);
    });
    server.on("clientError", (error: Error & { code?: string }, socket: Duplex) =>
      onClientError(context, error, socket),
    );
    return server;
  }

  /** Stops accepting connections; requests in flight go on. */
  stopAccepting(): void {
    for (const server of this.#servers) {
      server.close();
      server.closeIdleConnections();
    }
  }

  /** Ends every client connection. Idempotent. */
  async close(): Promise<void> {
    const servers = this.#servers.splice(0);
    for (const socket of this.#tunnels) socket.destroy();
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
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
