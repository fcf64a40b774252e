// One client connection, served without node:http: the socket's reads go straight into node's
// own llhttp binding (the parser node:http uses, as strict), each request becomes an IncomingRequest
// and a ClientResponse that writes to the socket itself. That spares every request node:http's
// IncomingMessage and ServerResponse streams, its timers and its header objects: an A/B of the two
// builds here took berth's CPU per proxied request from 75 to 63 µs (bench/RESULTS.md).
//
// What node:http did for berth is done here, the same way: requests are answered one at a time in
// order (pipelined ones wait, and the socket is not read further meanwhile); 100-continue is
// answered when the request's turn comes; a head too large gets 431, a malformed one 400; a body
// that breaks its framing is answered 400 if nothing went out yet, and cut from the upstream;
// bytes after a request that closes the connection let its response finish, then close; the head,
// the whole request and an idle connection each have their timeout; a client that half-closes
// gives up what it asked (node does the same). An Upgrade or CONNECT leaves the connection to
// upgrade.ts once it is its turn, with the bytes that followed its head.
import type { Socket } from "node:net";
import type { ClientLimits } from "../config/config.js";
import { ClientResponse, type ResponseOwner } from "./client-response.js";
import { type ClientPeer, IncomingRequest, RequestBody } from "./incoming-request.js";
import { lingerOn } from "./lingering-close.js";
import {
  HTTPParser,
  K_ON_BODY,
  K_ON_EXECUTE,
  K_ON_HEADERS,
  K_ON_HEADERS_COMPLETE,
  K_ON_MESSAGE_BEGIN,
  K_ON_MESSAGE_COMPLETE,
  METHODS,
  type Parser,
} from "./llhttp.js";
import { equalsLower } from "./passes/header-list.js";

/** What the server does with what a connection parsed. */
export interface ConnectionHandlers {
  request(req: IncomingRequest, res: ClientResponse): void;
  /** The socket is the handler's from now on; `head`: what the client sent after the request. */
  upgrade(req: IncomingRequest, socket: Socket, head: Buffer): void;
  /**
   * A connection-level error answer (a malformed head, a timeout): `code` is llhttp's (HPE_…) or
   * ERR_HTTP_REQUEST_TIMEOUT. `req`, when given, is the request whose body broke, and `res` its
   * response if its turn had come.
   */
  clientError(code: string, socket: Socket, req?: IncomingRequest, res?: ClientResponse): void;
  /** berth's own log: a defect in a handler. */
  report(message: string): void;
  closed(connection: ClientConnection): void;
}

const CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n";

/** llhttp: a kOnHeadersComplete return of 2 means "upgrade: no body, stop after the head". */
const AFTER_HEAD_UPGRADE = 2;

/** What node:http itself uses of a socket's libuv handle to let the parser read it directly. */
interface StreamHandle {
  isStreamBase?: boolean;
  _consumed?: boolean;
  reading: boolean;
  readStart(): number;
  readStop(): number;
}
type HandledSocket = Socket & { _handle: StreamHandle | null; _unrefTimer(): void };

function closeParser(parser: Parser): void {
  parser.close();
}

export class ClientConnection implements ResponseOwner {
  readonly socket: Socket;
  readonly keepAliveHeader: string;
  readonly #parser: Parser;
  /**
   * The parser reads the socket's handle itself, in C++ (as node:http does): no Buffer and no
   * 'data' event per read. Null when the socket has no such handle.
   */
  readonly #handle: StreamHandle | null = null;
  readonly #limits: ClientLimits;
  readonly #handlers: ConnectionHandlers;
  readonly #peer: ClientPeer;
  /** berth stops: each connection ends after the response in flight. */
  #stopping = false;
  /** The parser broke: the whole requests before the break are answered, then it ends. */
  #closeWhenAnswered = false;

  /** Requests parsed and not yet answered; the first is being answered. */
  readonly #queue: IncomingRequest[] = [];
  #response: ClientResponse | null = null;
  /** The request whose head or body is being parsed. */
  #parsing: IncomingRequest | null = null;
  /** A message began and is not all received. */
  #inMessage = false;
  #lines: string[] = [];
  #url = "";
  #upgradeHead: Buffer | undefined;
  /** The socket is not read while a request waits its turn or its body's reader is full. */
  #bodyFull = false;
  #reading = true;
  /** The parser met an error or the socket left: nothing more is parsed. */
  #parserDone = false;
  /** Answered for the last time: reads are thrown away until the client closes (lingering-close.ts). */
  #lingering = false;
  #closed = false;
  /** When the head being received began, and the whole request; 0: none being received. */
  #headSince: number;
  #requestSince = 0;
  /** Since when the connection waits for its next request (keep-alive); 0: not waiting. */
  #idleSince = 0;

  constructor(socket: Socket, peer: ClientPeer, limits: ClientLimits, handlers: ConnectionHandlers) {
    this.socket = socket;
    this.#peer = peer;
    this.#limits = limits;
    this.#handlers = handlers;
    this.keepAliveHeader = `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.max(1, Math.floor(limits.keepAliveTimeoutMs / 1000))}\r\n`;
    this.#headSince = Date.now();
    const parser = new HTTPParser();
    parser.initialize(HTTPParser.REQUEST, {}, limits.maxHeaderBytes, 0);
    parser[K_ON_MESSAGE_BEGIN] = this.#onMessageBegin;
    parser[K_ON_HEADERS] = this.#onHeaderLines;
    parser[K_ON_HEADERS_COMPLETE] = this.#onHeadersComplete;
    parser[K_ON_BODY] = this.#onBody;
    parser[K_ON_MESSAGE_COMPLETE] = this.#onMessageComplete;
    this.#parser = parser;
    // The socket's own timer: no byte either way for this long. Keep-alive and the head and
    // request timeouts are checked on the server's beat instead: no timer churn per request.
    socket.setTimeout(limits.idleTimeoutMs);
    const handle = (socket as HandledSocket)._handle;
    if (handle?.isStreamBase && !handle._consumed) {
      handle._consumed = true;
      this.#handle = handle;
      parser[K_ON_EXECUTE] = this.#onExecute;
      parser.consume(handle);
    } else socket.on("data", this.#onData);
    socket.on("drain", this.#onDrain);
    socket.on("timeout", this.#onTimeout);
    socket.on("end", this.#onEnd);
    socket.on("error", this.#onError);
    socket.on("close", this.#onClose);
  }

  /** The connection ends after the response in flight. */
  get closing(): boolean {
    return this.#stopping || (this.#closeWhenAnswered && this.#queue.length <= 1);
  }

  /** Nothing asked and nothing half-received: the connection may be closed without loss. */
  get idle(): boolean {
    return this.#queue.length === 0 && !this.#inMessage;
  }

  /** Ends the connection after the response in flight; an idle one at once. */
  closeWhenIdle(): void {
    this.#stopping = true;
    if (this.idle) this.#endLingering();
  }

  /** The server's beat: the keep-alive, head and request timeouts. */
  checkTimeouts(now: number): void {
    const limits = this.#limits;
    if (this.#idleSince !== 0 && now - this.#idleSince > limits.keepAliveTimeoutMs) {
      this.socket.destroy();
      return;
    }
    if (
      (this.#headSince !== 0 && now - this.#headSince > limits.headerTimeoutMs) ||
      (this.#requestSince !== 0 && now - this.#requestSince > limits.requestTimeoutMs)
    ) {
      this.#headSince = 0;
      this.#requestSince = 0;
      this.#broke("ERR_HTTP_REQUEST_TIMEOUT");
    }
  }

  bodyWanted(): void {
    if (!this.#bodyFull) return;
    this.#bodyFull = false;
    this.#updateReading();
  }

  responseEnded(res: ClientResponse): void {
    if (res !== this.#response) return;
    this.#response = null;
    const req = this.#queue.shift()!;
    if (!res.keepAlive || this.#stopping || (this.#closeWhenAnswered && this.#queue.length === 0)) {
      this.#dropQueued();
      this.#endLingering();
      return;
    }
    // Answered before its body was read (an early answer from the upstream): read the rest away.
    if (!req.complete) req.body?.resume();
    if (this.#queue.length > 0) {
      // Not from inside the upstream's callbacks that ended this response.
      process.nextTick(advance, this);
    } else if (!this.#inMessage) {
      this.#idleSince = Date.now();
    }
    this.#updateReading();
  }

  readonly #onData = (data: Buffer): void => {
    if (!this.#parserDone) this.#parsed(this.#parser.execute(data), data);
  };

  /** The parser read and parsed the socket's latest bytes itself. */
  readonly #onExecute = (result: ReturnType<Parser["execute"]>): void => {
    // A read is activity: what 'data' would have told the socket's idle timer.
    (this.socket as HandledSocket)._unrefTimer();
    if (!this.#parserDone) this.#parsed(result, undefined);
  };

  #parsed(result: ReturnType<Parser["execute"]>, data: Buffer | undefined): void {
    if (typeof result !== "number") {
      this.#broke(result.code ?? "HPE_INTERNAL");
      this.advance();
      return;
    }
    const last = this.#queue[this.#queue.length - 1];
    if (last?.upgrade && this.#upgradeHead === undefined) {
      // llhttp stopped after the upgrade's head: the rest is the new protocol's.
      this.#upgradeHead = (data ?? this.#parser.getCurrentBuffer()).subarray(result);
      this.#parserDone = true;
      this.#updateReading();
    }
    this.advance();
    this.#updateReading();
  }

  readonly #onMessageBegin = (): void => {
    const now = Date.now();
    // node's parser hands the previous message's target back with trailers: start afresh.
    this.#url = "";
    this.#lines = [];
    this.#inMessage = true;
    this.#headSince = now;
    this.#requestSince = now;
    this.#idleSince = 0;
  };

  readonly #onHeaderLines = (lines: string[], url: string): void => {
    for (let i = 0; i < lines.length; i++) this.#lines.push(lines[i]!);
    this.#url += url;
  };

  readonly #onHeadersComplete = (
    versionMajor: number,
    versionMinor: number,
    headers: string[] | undefined,
    method: number,
    url: string | undefined,
    _status: unknown,
    _statusText: unknown,
    upgrade: boolean,
    keepAlive: boolean,
  ): number => {
    if (headers === undefined) {
      headers = this.#lines;
      this.#lines = [];
    }
    if (!url) {
      url = this.#url;
      this.#url = "";
    }
    this.#headSince = 0;
    const methodName = METHODS[method];
    // A method llhttp knows and berth does not: refused (400), never forwarded as another.
    if (methodName === undefined) return -1;
    let body: RequestBody | null = null;
    if (!upgrade) {
      for (let i = 0; i < headers.length; i += 2) {
        const name = headers[i]!;
        if (
          (name.length === 14 && equalsLower(name, "content-length") && headers[i + 1] !== "0") ||
          (name.length === 17 && equalsLower(name, "transfer-encoding"))
        ) {
          body = new RequestBody(this);
          break;
        }
      }
    }
    const req = new IncomingRequest(
      this.#peer,
      methodName,
      url,
      versionMajor,
      versionMinor,
      headers,
      body,
      keepAlive,
      upgrade,
    );
    this.#parsing = req;
    this.#queue.push(req);
    return upgrade ? AFTER_HEAD_UPGRADE : 0;
  };

  readonly #onBody = (chunk: Buffer): void => {
    const body = this.#parsing?.body;
    if (body && !body.destroyed && !body.push(chunk)) this.#bodyFull = true;
  };

  readonly #onMessageComplete = (): void => {
    const req = this.#parsing;
    this.#requestSince = 0;
    this.#inMessage = false;
    this.#url = "";
    // Answered before its body was all here (an early answer): the wait for the next starts now.
    if (this.#queue.length === 0 && this.#response === null) this.#idleSince = Date.now();
    if (req === null) return;
    this.#parsing = null;
    req.complete = true;
    if (this.#lines.length > 0) {
      req.rawTrailers = this.#lines;
      this.#lines = [];
    }
    if (req.body && !req.body.destroyed) req.body.push(null);
  };

  /** Starts answering the first request waiting, unless one is being answered. */
  advance(): void {
    const req = this.#queue[0];
    if (req === undefined || this.#response !== null || this.socket.destroyed) return;
    const res = new ClientResponse(req, this);
    this.#response = res;
    if (req.upgrade) {
      if (this.#upgradeHead === undefined) return; // still parsing: its head comes with this read
      this.#leave();
      this.#handlers.upgrade(req, this.socket, this.#upgradeHead);
      return;
    }
    if (!req.complete && req.httpVersionMinor === 1 && expectsContinue(req.rawHeaders)) {
      this.socket.write(CONTINUE, "latin1");
    }
    try {
      this.#handlers.request(req, res);
    } catch (error) {
      this.#handlers.report(`berth failed serving a request: ${(error as Error).stack ?? error}`);
      this.socket.destroy();
    }
  }

  /** A parse error or a timeout: the parser is done; answer what can be answered, then close. */
  #broke(code: string): void {
    this.#parserDone = true;
    this.#closeWhenAnswered = true;
    this.#updateReading();
    const parsing = this.#parsing;
    const res = this.#response;
    if (parsing !== null && res?.req === parsing) {
      // The request being answered broke its own framing (its body) or came too slowly: the
      // client's fault, never the instance's. Its attempt ends as answered first, so that the
      // body's error below cannot read as the upstream's.
      this.#handlers.clientError(code, this.socket, parsing, res);
      res.writer?.clientClosed();
      parsing.body?.destroy(Object.assign(new Error(`request body: ${code}`), { code }));
      if (!res.finished) this.socket.destroy();
      return;
    }
    parsing?.body?.destroy(Object.assign(new Error(`request body: ${code}`), { code }));
    const at = parsing === null ? -1 : this.#queue.indexOf(parsing);
    if (at !== -1) this.#queue.splice(at, 1);
    else if (parsing !== null) {
      // Answered already (the upstream answered early): nothing more to say.
      this.socket.destroy();
      return;
    }
    // Whole requests before the error are answered first (never written into); then it closes.
    if (this.#queue.length > 0) return;
    if (!this.socket.writable) this.socket.destroy();
    else {
      this.#handlers.clientError(code, this.socket, parsing ?? undefined);
      this.#linger();
    }
  }

  #endLingering(): void {
    this.socket.end();
    this.#linger();
  }

  #linger(): void {
    if (this.#lingering) return;
    this.#lingering = true;
    this.#parserDone = true;
    this.#parsing?.body?.destroy(new Error("the connection closes"));
    this.#dropQueued();
    const handle = this.#handle;
    if (handle !== null) {
      // Reads go back to the socket's stream, to be thrown away there: the parser sees no more.
      this.#parser.unconsume();
      handle._consumed = false;
    }
    this.socket.on("data", discard);
    lingerOn(this.socket);
    this.#updateReading();
  }

  /** The connection leaves HTTP (an upgrade): no more of berth's listeners or timers on it. */
  #leave(): void {
    const socket = this.socket;
    this.#idleSince = 0;
    socket.setTimeout(0);
    const handle = this.#handle;
    if (handle !== null) {
      // The socket's stream reads the handle again: what it reads now is the new protocol's.
      this.#parser.unconsume();
      handle._consumed = false;
      if (!socket.destroyed && !handle.reading) {
        handle.reading = true;
        handle.readStart();
      }
    }
    socket.off("data", this.#onData);
    socket.off("drain", this.#onDrain);
    socket.off("timeout", this.#onTimeout);
    socket.off("end", this.#onEnd);
    socket.off("error", this.#onError);
    socket.off("close", this.#onClose);
    this.#finish();
  }

  #dropQueued(): void {
    for (const req of this.#queue.splice(this.#response === null ? 0 : 1)) {
      req.body?.destroy(new Error("the connection closes"));
    }
  }

  #updateReading(): void {
    const read = this.#lingering || (!this.#parserDone && !this.#bodyFull && this.#queue.length <= 1);
    if (read === this.#reading) return;
    this.#reading = read;
    const handle = this.#handle;
    if (handle === null) {
      if (read) this.socket.resume();
      else this.socket.pause();
    } else if (!this.socket.destroyed) {
      // The socket's own flag too, so that its stream starts reading again once it is given away.
      handle.reading = read;
      if (read) handle.readStart();
      else handle.readStop();
    }
  }

  readonly #onDrain = (): void => {
    this.#response?.writer?.drained();
  };

  readonly #onTimeout = (): void => {
    this.socket.destroy();
  };

  /** The client half-closed: what it asked is given up, as node:http does. */
  readonly #onEnd = (): void => {
    if (this.#queue.length === 0) this.socket.end();
    else this.socket.destroy();
  };

  readonly #onError = (): void => {
    // 'close' follows; a reset is the client's to make.
  };

  readonly #onClose = (): void => {
    const res = this.#response;
    this.#response = null;
    // The attempt first: a body cut off by the client's going must not read as the upstream's fault.
    if (res !== null && !res.finished) res.clientClosed();
    for (const req of this.#queue.splice(0)) {
      if (!req.complete) req.body?.destroy(Object.assign(new Error("aborted"), { code: "ECONNRESET" }));
    }
    this.#finish();
  };

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#parserDone = true;
    // Not from inside the parser's own callbacks (node:http waits the same way).
    setImmediate(closeParser, this.#parser);
    this.#handlers.closed(this);
  }
}

function discard(): void {}

function advance(connection: ClientConnection): void {
  connection.advance();
}

function expectsContinue(headers: readonly string[]): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.length === 6 && equalsLower(headers[i]!, "expect")) {
      return headers[i + 1]!.toLowerCase() === "100-continue";
    }
  }
  return false;
}
