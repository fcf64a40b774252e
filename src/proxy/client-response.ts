// The response to one client request, written straight to the connection's socket: the head is
// serialized once into a string, and what is written in one tick (head, body, end) is gathered and
// leaves in one socket write, one syscall, at the end of the tick or as soon as 16 KiB are
// waiting; a head with no body yet (server-sent events) leaves at the end of its tick. The framing is berth's:
// the upstream's Content-Length is kept, otherwise an HTTP/1.1 client gets chunked encoding and
// an HTTP/1.0 one a body that ends with the connection.
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { httpDate } from "./http-date.js";
import type { IncomingRequest } from "./incoming-request.js";
import { equalsLower } from "./passes/header-list.js";

/** What a response needs of its connection. */
export interface ResponseOwner {
  readonly socket: Socket;
  /** The connection closes after this response (berth is stopping, the request broke). */
  readonly closing: boolean;
  readonly keepAliveHeader: string;
  responseEnded(res: ClientResponse): void;
}

/** RFC 9110 §5.6.2 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What node:http refuses in a field value too: controls other than HTAB. */
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** Gathered output beyond this goes out at once, and a write says whether the socket wants a pause. */
const GATHER_BYTES = 16 * 1024;

/** Up to this, gathered parts are copied into one buffer from node's pool; beyond, written corked. */
const COPY_BYTES = 4 * 1024 - 1;

function write(socket: Socket, part: string | Buffer): boolean {
  return typeof part === "string" ? socket.write(part, "latin1") : socket.write(part);
}

function flushAtTickEnd(res: ClientResponse): void {
  res.flush();
}

/** Who writes the response: told when the client goes, and when the socket wants more. */
export interface ResponseWriter {
  /** The connection ended before the response did. */
  clientClosed(): void;
  /** The socket took what a write() returning false had buffered. */
  drained(): void;
}

export class ClientResponse {
  statusCode = 200;
  /** The head was written (it may still sit in the corked socket until the tick ends). */
  headersSent = false;
  finished = false;
  /** The request id of the exchange answering, for an answer the connection makes itself. */
  requestId: string | undefined;
  keepAlive = false;
  /** The forwarding attempt writing this response, if one is. */
  writer: ResponseWriter | undefined;
  /** Others to tell when the client goes (a request waiting in a HoldQueue). */
  #closeListeners: (() => void)[] | undefined;
  readonly req: IncomingRequest;
  readonly #owner: ResponseOwner;
  #hasBody = true;
  #chunked = false;
  #trailers = "";
  /** Output gathered this tick: latin1 strings (heads, chunk sizes) and body buffers. */
  #parts: (string | Buffer)[] = [];
  #partsBytes = 0;

  constructor(req: IncomingRequest, owner: ResponseOwner) {
    this.req = req;
    this.#owner = owner;
  }

  get destroyed(): boolean {
    return this.#owner.socket.destroyed;
  }

  onClose(listener: () => void): void {
    this.#closeListeners ??= [];
    this.#closeListeners.push(listener);
  }

  /** The connection's word that the client went before the response was whole. */
  clientClosed(): void {
    this.writer?.clientClosed();
    const listeners = this.#closeListeners;
    this.#closeListeners = undefined;
    if (listeners !== undefined) for (const listener of listeners) listener();
  }

  /**
   * Writes the head. `headers` as name, value, name, value…; hop-by-hop fields are the caller's to
   * have removed. Throws for a name or value that may not be sent, before anything is written.
   */
  writeHead(status: number, reason: string | undefined, headers: readonly string[]): void {
    if (this.headersSent) throw new Error("the response head was already written");
    const req = this.req;
    let text = `HTTP/1.1 ${status} ${reason ?? STATUS_CODES[status] ?? ""}\r\n`;
    let length = false;
    let date = false;
    let close = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      const value = headers[i + 1]!;
      if (!TOKEN.test(name)) throw new TypeError(`invalid response header name: ${JSON.stringify(name)}`);
      if (BAD_VALUE.test(value)) throw new TypeError(`invalid value in response header ${name}`);
      const first = name.charCodeAt(0) | 0x20;
      if (first === 0x63 /* c */) {
        if (equalsLower(name, "content-length")) length = true;
        else if (equalsLower(name, "connection")) {
          // berth decides whether the connection is kept, and says so once, below.
          if (value.toLowerCase().includes("close")) close = true;
          continue;
        }
      } else if (first === 0x64 /* d */ && equalsLower(name, "date")) date = true;
      text += `${name}: ${value}\r\n`;
    }
    this.#hasBody = req.method !== "HEAD" && status !== 204 && status !== 304 && status >= 200;
    let keepAlive = req.keepAlive && !close && !this.#owner.closing;
    if (!length && this.#hasBody) {
      if (req.httpVersionMinor >= 1 && req.httpVersionMajor === 1) {
        this.#chunked = true;
        text += "Transfer-Encoding: chunked\r\n";
      } else keepAlive = false; // the body ends with the connection
    }
    if (!date) text += `Date: ${httpDate()}\r\n`;
    text += keepAlive ? this.#owner.keepAliveHeader : "Connection: close\r\n";
    this.keepAlive = keepAlive;
    this.statusCode = status;
    this.headersSent = true;
    this.#gather(`${text}\r\n`);
  }

  /** Returns false when the socket buffers more than it should: wait for 'drain'. */
  write(chunk: Buffer | string): boolean {
    if (!this.#hasBody || chunk.length === 0 || this.finished || this.#owner.socket.destroyed) return true;
    const body = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    if (this.#chunked) {
      this.#gather(`${body.length.toString(16)}\r\n`);
      this.#gather(body);
      this.#gather("\r\n");
    } else this.#gather(body);
    // What the socket holds counts too: a stream of small writes to a slow client must pause.
    // Written now, the answer is the socket's own, and a false one is sure to be followed by 'drain'.
    const socket = this.#owner.socket;
    if (
      this.#partsBytes >= GATHER_BYTES ||
      socket.writableNeedDrain ||
      socket.writableLength + this.#partsBytes >= socket.writableHighWaterMark
    ) {
      return this.flush();
    }
    return true;
  }

  #gather(part: string | Buffer): void {
    if (this.#parts.length === 0) process.nextTick(flushAtTickEnd, this);
    this.#parts.push(part);
    this.#partsBytes += part.length;
  }

  /** Writes what was gathered, in one write; false when the socket asks for a pause. */
  flush(): boolean {
    const parts = this.#parts;
    if (parts.length === 0) return true;
    const socket = this.#owner.socket;
    const bytes = this.#partsBytes;
    this.#parts = [];
    this.#partsBytes = 0;
    if (socket.destroyed) return false;
    if (parts.length === 1) return write(socket, parts[0]!);
    if (bytes > COPY_BYTES) {
      // Large: no copy; corked, the parts still leave in one writev.
      socket.cork();
      for (const part of parts) write(socket, part);
      socket.uncork();
      return socket.writableLength < socket.writableHighWaterMark;
    }
    // Small (pooled, no allocation of its own): one buffer, one write.
    const out = Buffer.allocUnsafe(bytes);
    let at = 0;
    for (const part of parts)
      at += typeof part === "string" ? out.write(part, at, "latin1") : part.copy(out, at);
    return socket.write(out);
  }

  /** Trailer fields after a chunked body; none can follow a body of known length. */
  addTrailers(pairs: readonly [string, string][]): void {
    for (const [name, value] of pairs) {
      if (TOKEN.test(name) && !BAD_VALUE.test(value)) this.#trailers += `${name}: ${value}\r\n`;
    }
  }

  end(body?: string): void {
    if (this.finished) return;
    if (!this.headersSent) this.writeHead(this.statusCode, undefined, []);
    if (body !== undefined) this.write(body);
    this.finished = true;
    if (this.#chunked) this.#gather(`0\r\n${this.#trailers}\r\n`);
    this.flush();
    this.#owner.responseEnded(this);
  }

  /** Cuts the connection: a client must not take a broken response for a whole one. */
  destroy(): void {
    this.#owner.socket.destroy();
  }
}
