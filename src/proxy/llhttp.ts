// node's native llhttp binding, the parser node:http itself uses (strict: no lenient flags), for
// berth's own client connections and upstream connections. _http_common hands it out without
// process.binding's deprecation warning.
import { createRequire } from "node:module";

export interface Parser {
  /** maxHeaderSize 0: node's default (16 KiB); lenient 0: none. */
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  /** Bytes parsed, or an Error with `code` (HPE_…) and `bytesParsed`. */
  execute(data: Buffer): number | (Error & { code?: string; bytesParsed?: number });
  finish(): (Error & { code?: string }) | undefined;
  /** Reads a socket's libuv handle directly; results go to the kOnExecute callback. */
  consume(handle: object): void;
  unconsume(): void;
  /** A copy of the bytes of the read being parsed (consume mode). */
  getCurrentBuffer(): Buffer;
  close(): void;
  [callback: number]: unknown;
}

interface ParserBinding {
  new (): Parser;
  REQUEST: number;
  RESPONSE: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnMessageBegin: number;
  kOnExecute: number;
}

const common = createRequire(import.meta.url)("_http_common") as {
  HTTPParser: ParserBinding;
  methods: string[];
};

export const HTTPParser = common.HTTPParser;
export const K_ON_HEADERS = HTTPParser.kOnHeaders;
export const K_ON_HEADERS_COMPLETE = HTTPParser.kOnHeadersComplete;
export const K_ON_BODY = HTTPParser.kOnBody;
export const K_ON_MESSAGE_COMPLETE = HTTPParser.kOnMessageComplete;
export const K_ON_MESSAGE_BEGIN = HTTPParser.kOnMessageBegin;
export const K_ON_EXECUTE = HTTPParser.kOnExecute;

/**
 * Method names by llhttp's method number. The numbers are not the positions in node's `methods`
 * list (QUERY is 46), and node keeps its own table internal: ask the parser once for each name.
 */
export const METHODS: readonly string[] = (() => {
  const names: string[] = [];
  const parser = new HTTPParser();
  for (const name of common.methods) {
    parser.initialize(HTTPParser.REQUEST, {}, 0, 0);
    parser[K_ON_HEADERS_COMPLETE] = (_major: number, _minor: number, _headers: unknown, method: number) => {
      names[method] = name;
      return 0;
    };
    const target = name === "CONNECT" ? "example:1" : "/";
    parser.execute(Buffer.from(`${name} ${target} HTTP/1.1\r\nHost: x\r\n\r\n`, "latin1"));
  }
  parser.close();
  return names;
})();
