// A request as berth's client connection parsed it (client-connection.ts): the head as node's
// llhttp delivered it, the peer's addresses, and for a request with a body, the body as a Readable
// the upstream client reads with back-pressure. A bodiless request (most of them) costs no stream.
import { Readable } from "node:stream";

/** The connection's side of a body: it reads the socket again when the body's reader wants more. */
export interface BodySource {
  bodyWanted(): void;
}

export class RequestBody extends Readable {
  readonly #source: BodySource;

  constructor(source: BodySource) {
    super({ highWaterMark: 64 * 1024 });
    this.#source = source;
    // Errors end the exchange through 'close' and the stream's state; nobody need listen.
    this.on("error", ignore);
  }

  override _read(): void {
    this.#source.bodyWanted();
  }
}

function ignore(): void {}

/** Where a connection comes from and arrives at, read once per connection. */
export interface ClientPeer {
  remoteAddress: string;
  /** The remote address as logs and forwarding headers show it (IPv4-mapped IPv6 unwrapped). */
  client: string;
  localAddress: string;
  localPort: number;
}

export class IncomingRequest {
  /** Whole, body and trailers included. */
  complete = false;
  /** Trailer fields after a chunked body, as name, value… */
  rawTrailers: string[] = [];

  constructor(
    readonly peer: ClientPeer,
    readonly method: string,
    readonly url: string,
    readonly httpVersionMajor: number,
    readonly httpVersionMinor: number,
    /** As name, value, name, value…, in the order sent; the passes edit it in place. */
    readonly rawHeaders: string[],
    /** Null when the head declares no body. */
    readonly body: RequestBody | null,
    /** llhttp's verdict: the client may send another request on this connection. */
    readonly keepAlive: boolean,
    /** An Upgrade (or CONNECT) request: the connection leaves HTTP once it is answered. */
    readonly upgrade: boolean,
  ) {}
}
