// One keep-alive HTTP/1.1 connection to an upstream, carrying one request at a time (no
// pipelining). The response is parsed by node's own llhttp binding (the one node:http uses), fed
// straight from the socket's reads into one buffer shared by every connection: no stream
// machinery and no copies beyond the parser's own. One socket timer serves every phase (connect,
// response head, gaps in the body); it is re-armed only when the phase's duration changes.
import { connect, type Socket } from "node:net";
import type { Readable } from "node:stream";
import {
  HTTPParser,
  K_ON_BODY,
  K_ON_HEADERS,
  K_ON_HEADERS_COMPLETE,
  K_ON_MESSAGE_BEGIN,
  K_ON_MESSAGE_COMPLETE,
  type Parser,
} from "./llhttp.js";
import { equalsLower } from "./passes/header-list.js";

/** What a request is: the headers are final (name, value, …), Host may be absent. */
export interface UpstreamRequest {
  path: string;
  method: string;
  headers: string[];
  /** The client's request body, read only once the request is on a connected socket. */
  body: Readable | null;
  /** From the request written until the response head; 0: none. */
  headersTimeout: number;
  /** The longest gap between two pieces of the response body; 0: none. */
  bodyTimeout: number;
}

/** undici's legacy dispatch handler, which forward.ts implements. */
export interface UpstreamHandler {
  /** The request is about to go out on a connected socket. An error before this: nothing was sent. */
  onConnect(abort: (reason?: Error) => void): void;
  /** false: send no more until `resume()`. */
  onHeaders(status: number, rawHeaders: string[], resume: () => void, statusText: string): boolean;
  /** false: send no more until `resume()`. */
  onData(chunk: Buffer): boolean;
  onComplete(trailers: string[] | null): void;
  onError(error: Error): void;
}

/** An error with the code undici would give it (forward.ts classifies by code). */
export class UpstreamError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What the connection tells its pool. */
export interface ConnectionOwner {
  /**
   * The connection may carry another request for `idleMs` (from now when `fresh`, else from
   * when it last became idle).
   */
  idle(connection: UpstreamConnection, idleMs: number, fresh: boolean): void;
  /** The connection is closed or closing: never hand it out again. */
  gone(connection: UpstreamConnection): void;
}

/** Every socket reads into this: the parser copies out what it keeps before the next read. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** Idle connections close after this, or sooner when the upstream's Keep-Alive says so. */
export const IDLE_TIMEOUT_MS = 4_000;
/** How long before the upstream's announced keep-alive end berth stops reusing a connection. */
const KEEP_ALIVE_MARGIN_MS = 1_000;

const CONNECTING = 0;
const IDLE = 1;
const HEAD = 2;
const BODY = 3;
const CLOSED = 4;

function keepAliveTimeoutMs(headers: string[]): number {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.length !== 10 || !equalsLower(headers[i]!, "keep-alive")) continue;
    const match = /timeout\s*=\s*(\d+)/i.exec(headers[i + 1]!);
    if (match) return Math.min(IDLE_TIMEOUT_MS, Number(match[1]) * 1000 - KEEP_ALIVE_MARGIN_MS);
  }
  return IDLE_TIMEOUT_MS;
}

export class UpstreamConnection {
  readonly #owner: ConnectionOwner;
  readonly #socket: Socket;
  readonly #parser: Parser;
  readonly #hostLine: string;
  #state = CONNECTING;
  /** How long the connection may wait for its next request (from the last response). */
  #idleMs = IDLE_TIMEOUT_MS;
  /** A message began while no request was waiting for one. */
  #stray = false;
  /** The handler's onConnect is running: nothing of the request is written yet. */
  #announcing = false;
  /** The socket timer's current duration (0: off). */
  #timerMs = 0;
  /** The socket timer fired while the response was paused: re-arm it on resume. */
  #timerLapsed = false;
  /** Why the socket is closing, reported to the request in flight. */
  #error: Error | undefined;

  // The request in flight. #serial tells a stale abort()/resume() from the current request's.
  #serial = 0;
  #handler: UpstreamHandler | null = null;
  #request: UpstreamRequest | null = null;
  #body: Readable | null = null;
  #chunked = false;
  #bodyBlocked = false;
  /** The request (head and body) is all written. */
  #sent = false;

  // The response.
  #keepAliveMs = 0;
  #paused = false;
  /** The socket was paused for #paused; its reading must start again before it is reused. */
  #readStopped = false;
  #queued: Buffer[] = [];
  #completeQueued = false;
  /** Head lines split over reads, then trailers: what kOnHeaders delivered. */
  #lines: string[] = [];
  #trailers: string[] | null = null;

  constructor(
    owner: ConnectionOwner,
    host: string,
    port: number,
    hostLine: string,
    connectTimeoutMs: number,
  ) {
    this.#owner = owner;
    this.#hostLine = hostLine;
    const parser = new HTTPParser();
    parser.initialize(HTTPParser.RESPONSE, {}, 0, 0);
    parser[K_ON_HEADERS] = this.#onHeaderLines;
    parser[K_ON_HEADERS_COMPLETE] = this.#onHeadersComplete;
    parser[K_ON_BODY] = this.#onBody;
    parser[K_ON_MESSAGE_COMPLETE] = this.#onMessageComplete;
    parser[K_ON_MESSAGE_BEGIN] = this.#onMessageBegin;
    this.#parser = parser;
    const socket = connect({ host, port, onread: { buffer: READ_BUFFER, callback: this.#onRead } });
    this.#socket = socket;
    this.#setTimer(connectTimeoutMs);
    socket.on("connect", this.#onConnect);
    socket.on("timeout", this.#onTimeout);
    socket.on("drain", this.#onDrain);
    socket.on("end", this.#onEnd);
    socket.on("error", this.#onError);
    socket.on("close", this.#onClose);
  }

  /** True while the connection can take a request. */
  get usable(): boolean {
    return this.#state === IDLE && !this.#socket.destroyed;
  }

  /** Sends `request` once connected (at once when idle). */
  send(request: UpstreamRequest, handler: UpstreamHandler): void {
    this.#serial++;
    this.#handler = handler;
    this.#request = request;
    if (this.#state === IDLE) this.#start();
  }

  /** Closes the connection; a request in flight gets `error`. */
  destroy(error?: Error): void {
    if (this.#state === CLOSED) return;
    this.#error ??= error;
    this.#close();
  }

  readonly #onConnect = (): void => {
    const socket = this.#socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    if (this.#handler) this.#start();
    else this.#goIdle(IDLE_TIMEOUT_MS);
  };

  #start(): void {
    const request = this.#request!;
    const handler = this.#handler!;
    const serial = this.#serial;
    const body = request.body;
    if (body !== null && (body.destroyed || body.readableAborted)) {
      // The client's request broke before any of it went out (its body's framing, most often).
      this.#endRequest();
      this.#goIdle(this.#idleMs, false);
      handler.onError(body.errored ?? new UpstreamError("UND_ERR_ABORTED", "the request body was cut off"));
      return;
    }
    this.#state = HEAD;
    // The head timeout runs from the request's end: a client's pauses in its upload are not the
    // upstream's. Until then, the body timeout bounds a silent connection.
    this.#setTimer(body === null ? request.headersTimeout : request.bodyTimeout);
    this.#announcing = true;
    handler.onConnect((reason) => this.#abort(serial, reason));
    this.#announcing = false;
    if (serial !== this.#serial || this.#state !== HEAD) return; // aborted in onConnect

    const headers = request.headers;
    let head = `${request.method} ${request.path} HTTP/1.1\r\n`;
    let hasHost = false;
    let hasLength = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      const length = name.length;
      if (length === 4 && equalsLower(name, "host")) hasHost = true;
      else if (length === 14 && equalsLower(name, "content-length")) hasLength = true;
      // The body's framing is this connection's to decide.
      else if (length === 17 && equalsLower(name, "transfer-encoding")) continue;
      head += `${name}: ${headers[i + 1]}\r\n`;
    }
    if (!hasHost) head += this.#hostLine;
    const socket = this.#socket;
    if (body === null) {
      this.#sent = true;
      socket.write(`${head}\r\n`, "latin1");
      return;
    }
    this.#chunked = !hasLength;
    if (this.#chunked) head += "transfer-encoding: chunked\r\n";
    this.#body = body;
    body.on("readable", this.#pump);
    body.on("end", this.#onBodyEnd);
    body.on("error", this.#onBodyError);
    body.on("close", this.#onBodyClose);
    // The head and whatever of the body is already here leave in one write.
    socket.cork();
    socket.write(`${head}\r\n`, "latin1");
    this.#pump();
    socket.uncork();
  }

  readonly #pump = (): void => {
    const body = this.#body;
    if (body === null || this.#bodyBlocked) return;
    const socket = this.#socket;
    for (;;) {
      const chunk = body.read() as Buffer | null;
      if (chunk === null) return;
      if (chunk.length === 0) continue; // as a chunk, it would end the body: "0\r\n\r\n"
      let more: boolean;
      if (this.#chunked) {
        socket.cork();
        socket.write(`${chunk.length.toString(16)}\r\n`, "latin1");
        socket.write(chunk);
        more = socket.write("\r\n", "latin1");
        socket.uncork();
      } else {
        more = socket.write(chunk);
      }
      if (!more) {
        this.#bodyBlocked = true;
        return;
      }
    }
  };

  readonly #onDrain = (): void => {
    if (!this.#bodyBlocked) return;
    this.#bodyBlocked = false;
    this.#pump();
  };

  readonly #onBodyEnd = (): void => {
    if (this.#chunked) this.#socket.write("0\r\n\r\n", "latin1");
    this.#detachBody();
    this.#sent = true;
    if (this.#state === HEAD) this.#setTimer(this.#request!.headersTimeout);
  };

  readonly #onBodyError = (error: Error): void => {
    this.#abort(this.#serial, error);
  };

  readonly #onBodyClose = (): void => {
    // 'close' after 'end' never gets here: the listeners are gone by then.
    this.#abort(this.#serial, new UpstreamError("UND_ERR_ABORTED", "the request body was cut off"));
  };

  #detachBody(): Readable | null {
    const body = this.#body;
    if (body === null) return null;
    this.#body = null;
    this.#bodyBlocked = false;
    body.off("readable", this.#pump);
    body.off("end", this.#onBodyEnd);
    body.off("error", this.#onBodyError);
    body.off("close", this.#onBodyClose);
    return body;
  }

  readonly #onRead = (length: number, buffer: Buffer): boolean => {
    if (this.#state === IDLE) {
      // Bytes nobody asked for (a late 408, a stray response): whatever they start must never be
      // taken for the next request's response. The connection is done.
      this.#close();
      return true;
    }
    let result: number | Error;
    try {
      result = this.#parser.execute(buffer.subarray(0, length));
    } catch (error) {
      // A handler threw inside the parser's callbacks: a defect, but the connection's, not berth's
      // (uncaught, it would end the process and every service with it).
      result = error as Error;
      this.#error ??= new UpstreamError("UND_ERR_HANDLER", `handling the response: ${result.message}`);
    }
    if (this.#stray && this.#state !== CLOSED) {
      this.#error ??= new UpstreamError("UND_ERR_SOCKET", "bytes after the response nobody asked for");
      this.#close();
      return true;
    }
    if (result instanceof Error && this.#state !== CLOSED) {
      const code = (result as Error & { code?: string }).code ?? "HPE_ERROR";
      this.#error ??= new UpstreamError(code, `bad response from the upstream (${code})`);
      this.#close();
    }
    return true;
  };

  /** A message begins: only ever the answer to the request in flight. */
  readonly #onMessageBegin = (): void => {
    if (this.#state !== HEAD) this.#stray = true;
  };

  readonly #onHeaderLines = (lines: string[]): void => {
    for (let i = 0; i < lines.length; i++) this.#lines.push(lines[i]!);
  };

  readonly #onHeadersComplete = (
    _versionMajor: number,
    _versionMinor: number,
    headers: string[] | undefined,
    _method: unknown,
    _url: unknown,
    status: number,
    statusText: string,
    upgrade: boolean,
    shouldKeepAlive: boolean,
  ): number => {
    if (headers === undefined) {
      headers = this.#lines;
      this.#lines = [];
    }
    if (this.#state !== HEAD) {
      this.#error ??= new UpstreamError("UND_ERR_SOCKET", "a response nobody asked for");
      return -1;
    }
    if (status < 200 && status !== 101) return 1; // 100 Continue, 103 Early Hints…: wait for the answer
    if (upgrade || status === 101) {
      this.#error ??= new UpstreamError("UND_ERR_SOCKET", "unexpected upgrade");
      return -1;
    }
    const serial = this.#serial;
    this.#state = BODY;
    this.#keepAliveMs = shouldKeepAlive ? keepAliveTimeoutMs(headers) : 0;
    this.#setTimer(this.#request!.bodyTimeout);
    const go = this.#handler!.onHeaders(status, headers, () => this.#resume(serial), statusText);
    if (serial !== this.#serial || this.#state !== BODY) return -1; // aborted meanwhile
    if (!go) this.#pause();
    // No body, whatever the head says (llhttp knows 204 and 304, but be explicit like node:http).
    return this.#request!.method === "HEAD" || status === 204 || status === 304 ? 1 : 0;
  };

  readonly #onBody = (chunk: Buffer): void => {
    if (this.#state !== BODY) return;
    if (this.#paused) {
      this.#queued.push(chunk);
      return;
    }
    const serial = this.#serial;
    if (!this.#handler!.onData(chunk) && serial === this.#serial && this.#state === BODY) this.#pause();
  };

  readonly #onMessageComplete = (): void => {
    if (this.#state !== BODY) return; // a 1xx ended: the response is still to come
    if (this.#lines.length > 0) {
      this.#trailers = this.#lines;
      this.#lines = [];
    }
    if (this.#paused) this.#completeQueued = true;
    else this.#complete();
  };

  #pause(): void {
    this.#paused = true;
    if (!this.#readStopped) {
      this.#readStopped = true;
      this.#socket.pause();
    }
  }

  #startReading(): void {
    if (!this.#readStopped) return;
    this.#readStopped = false;
    if (this.#timerLapsed) {
      this.#timerLapsed = false;
      this.#socket.setTimeout(this.#timerMs);
    }
    this.#socket.resume();
  }

  #resume(serial: number): void {
    if (serial !== this.#serial || !this.#paused || this.#state !== BODY) return;
    this.#paused = false;
    const queued = this.#queued;
    while (queued.length > 0) {
      const chunk = queued.shift()!;
      if (!this.#handler!.onData(chunk)) {
        if (serial === this.#serial && this.#state === BODY) this.#paused = true;
        return;
      }
      if (serial !== this.#serial || this.#state !== BODY) return;
    }
    if (this.#completeQueued) {
      this.#completeQueued = false;
      this.#complete();
      return;
    }
    this.#startReading();
  }

  #complete(): void {
    const handler = this.#handler!;
    const trailers = this.#trailers;
    // Reuse needs the whole request written and a response that allows it.
    let idleMs = this.#keepAliveMs;
    const body = this.#detachBody();
    if (body !== null) {
      // The upstream answered before reading the whole body: let the rest drain away on the
      // client's side (berth's answer follows it) and never reuse this connection.
      body.resume();
      idleMs = 0;
    } else if (!this.#sent) {
      idleMs = 0;
    }
    this.#endRequest();
    handler.onComplete(trailers);
    if (this.#state === CLOSED) return;
    if (idleMs > 0 && !this.#socket.destroyed) this.#goIdle(idleMs);
    else this.#close();
  }

  /** `fresh`: a response just completed, so the upstream's keep-alive time starts again. */
  #goIdle(idleMs: number, fresh = true): void {
    this.#state = IDLE;
    this.#idleMs = idleMs;
    // Reading goes on while idle: an upstream that closes the connection is noticed at once.
    this.#startReading();
    this.#owner.idle(this, idleMs, fresh);
  }

  /** Forgets the request in flight; its abort() and resume() turn into no-ops. */
  #endRequest(): void {
    this.#serial++;
    this.#handler = null;
    this.#request = null;
    this.#sent = false;
    this.#chunked = false;
    this.#paused = false;
    if (this.#queued.length > 0) this.#queued = [];
    this.#completeQueued = false;
    this.#trailers = null;
    if (this.#lines.length > 0) this.#lines = [];
  }

  #abort(serial: number, reason: Error | undefined): void {
    if (serial !== this.#serial || this.#handler === null) return;
    const handler = this.#handler;
    this.#detachBody();
    this.#endRequest();
    // Aborted before a byte went out (the client left while berth connected): the connection is
    // as good as it was, and goes back to the pool.
    if (this.#announcing) this.#goIdle(this.#idleMs, false);
    else this.#close();
    // Reported after the caller's own bookkeeping: forward.ts aborts when its client left, then
    // settles as such; the abort's error must not take that place.
    const error = reason ?? new UpstreamError("UND_ERR_ABORTED", "request aborted");
    queueMicrotask(() => handler.onError(error));
  }

  /** Closes the socket (a chunked request body stays unfinished) and fails the request in flight. */
  #close(): void {
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    this.#detachBody();
    this.#owner.gone(this);
    this.#socket.destroy();
    const handler = this.#handler;
    if (handler === null) return;
    const error = this.#error ?? new UpstreamError("UND_ERR_SOCKET", "other side closed");
    this.#endRequest();
    handler.onError(error);
  }

  #setTimer(ms: number): void {
    if (ms === this.#timerMs) return;
    this.#timerMs = ms;
    this.#socket.setTimeout(ms);
  }

  readonly #onTimeout = (): void => {
    switch (this.#state) {
      case CONNECTING:
        this.#error ??= new UpstreamError("UND_ERR_CONNECT_TIMEOUT", "connecting took too long");
        break;
      case HEAD:
        this.#error ??= this.#sent
          ? new UpstreamError("UND_ERR_HEADERS_TIMEOUT", "no response head in time")
          : new UpstreamError("UND_ERR_REQUEST_TIMEOUT", "the request body stalled");
        break;
      case BODY:
        if (this.#paused) {
          // Nobody asked for more: not the upstream's fault.
          this.#timerLapsed = true;
          return;
        }
        this.#error ??= new UpstreamError("UND_ERR_BODY_TIMEOUT", "the response body stalled");
        break;
      default:
        // IDLE: the pool closes idle connections on its own schedule. The timer re-arms when
        // the next request is written.
        return;
    }
    this.#close();
  };

  readonly #onEnd = (): void => {
    if (this.#state === BODY) {
      // A body that runs to the connection's end completes here; any other stops short.
      const error = this.#parser.finish();
      if (error) this.#error ??= new UpstreamError("UND_ERR_SOCKET", "other side closed");
      if (this.#state !== BODY || this.#completeQueued) return;
    }
    this.#error ??= new UpstreamError("UND_ERR_SOCKET", "other side closed");
    this.#close();
  };

  readonly #onError = (error: Error): void => {
    this.#error ??= error;
  };

  readonly #onClose = (): void => {
    this.#error ??= new UpstreamError("UND_ERR_SOCKET", "other side closed");
    this.#parser.close();
    if (this.#completeQueued) {
      // The response is whole, waiting for resume(): deliver it then; never reuse.
      this.#keepAliveMs = 0;
      this.#owner.gone(this);
      return;
    }
    this.#close();
  };
}
