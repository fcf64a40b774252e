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
/** Method names by llhttp's method number. */
export const METHODS: readonly string[] = common.methods;
export const K_ON_HEADERS = HTTPParser.kOnHeaders;
export const K_ON_HEADERS_COMPLETE = HTTPParser.kOnHeadersComplete;
export const K_ON_BODY = HTTPParser.kOnBody;
export const K_ON_MESSAGE_COMPLETE = HTTPParser.kOnMessageComplete;
export const K_ON_MESSAGE_BEGIN = HTTPParser.kOnMessageBegin;
export const K_ON_EXECUTE = HTTPParser.kOnExecute;
