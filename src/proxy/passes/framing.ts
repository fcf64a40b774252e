/**
 * Request framing check: decides, from what node:http hands to a 'request' event, whether a request must
 * be refused before anything is forwarded upstream.
 *
 * node:http (llhttp 9, strict mode, `insecureHTTPParser: false`) already refuses most malformed heads
 * itself (bare CR/LF, NUL and other controls in names, whitespace before the colon, obs-fold, duplicate
 * Content-Length, Content-Length with Transfer-Encoding, non-digit Content-Length). It still emits
 * 'request' for a number of heads that a reverse proxy must not forward, measured in
 * ../shared/corpora (`reject_cases_node20_emitted_request_for`): two Host fields, Transfer-Encoding in
 * HTTP/1.0 (and 0.9), `GET *`, `HTTP/2.0` in an HTTP/1 request line, `Transfer_Encoding` look-alikes,
 * and Transfer-Encoding values that are not `chunked` (llhttp raises that error only after the
 * 'request' event). Everything is checked here again, so the check does not depend on llhttp's
 * strictness staying the same.
 *
 * What this cannot see: node trims optional whitespace around field values, so `Transfer-Encoding:
 * chunked\t` or `chunked ` arrive as `chunked`. llhttp refuses those right after the 'request' event
 * (HPE_INVALID_TRANSFER_ENCODING), like every error inside a chunked body (bad chunk size, bad
 * extension, missing CRLF). The forwarder must therefore treat a 'error'/'aborted' event on the
 * incoming request as fatal: abort the upstream request (destroy its socket, never finish the chunked
 * body with `0\r\n\r\n`) so the upstream never sees a complete request.
 *
 * Also outside this check: trailer fields arrive after the head (`req.rawTrailers`); node lets a
 * `Host` trailer through, so the forwarder must drop framing/routing fields (Host, Content-Length,
 * Transfer-Encoding, …) from trailers. And bytes after a request that closes the connection
 * (HTTP/1.0 without keep-alive, `Connection: close`) raise clientError HPE_CLOSED_CONNECTION while
 * that request is in flight; the server's clientError handler must then leave the socket alone so the
 * real response still goes out (Node's default handler writes a 400 instead).
 */

export interface FramingInput {
  httpVersionMajor: number;
  httpVersionMinor: number;
  method?: string | undefined;
  url?: string | undefined;
  /** Alternating names and values, as node:http gives them (values already trimmed of OWS). */
  rawHeaders: readonly string[];
}

export type FramingVerdict = { ok: true } | { ok: false; status: 400 | 505; reason: string };

const OK: FramingVerdict = { ok: true };

function refuse(reason: string, status: 400 | 505 = 400): FramingVerdict {
  return { ok: false, status, reason };
}

/** RFC 9110 §5.6.2 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Controls other than HTAB, and DEL, are not allowed in a field value (RFC 9110 §5.5). */
function hasBadValueChar(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}
/** Controls, space, DEL and anything beyond Latin-1 are not allowed in a request-target. */
function hasBadTargetChar(target: string): boolean {
  for (let i = 0; i < target.length; i++) {
    const code = target.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f || code > 0xff) return true;
  }
  return false;
}
/** uri-host [":" port] (RFC 9110 §7.2): IP-literal or reg-name / IPv4 (which reg-name covers). */
const HOST_VALUE =
  /^(?:\[[0-9A-Fa-f:.]+\]|\[v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]*)?$/;
/** A Content-Length of more than 15 digits is beyond Number.MAX_SAFE_INTEGER territory; refuse it. */
const CONTENT_LENGTH = /^[0-9]{1,15}$/;
/** Framing fields whose look-alikes (`Transfer_Encoding`, `Content.Length`, `Transfer---Encoding`) are refused. */
const LOOK_ALIKES = new Map([
  ["transferencoding", "transfer-encoding"],
  ["contentlength", "content-length"],
]);
/**
 * Transfer codings that may precede the final `chunked` (IANA registry, RFC 9112 §7). `identity` is not
 * among them: RFC 7230 removed it, the registry lists it as reserved, and `identity, chunked` is a known
 * smuggling shape (some servers read only the first coding).
 */
const KNOWN_CODINGS = new Set(["gzip", "x-gzip", "deflate", "compress", "x-compress"]);

export interface FramingOptions {
  /**
   * Methods for which any request content (Content-Length above 0, or Transfer-Encoding) is refused.
   * RFC 9110 §9.3.1/§9.3.2 say content in GET/HEAD has no defined semantics and may be refused as a
   * smuggling risk (http-desync-guardian calls it Ambiguous); gunicorn's corpus accepts it, and so do
   * nginx and Node. Default: none.
   */
  refuseContentFor?: ReadonlySet<string>;
}

/**
 * Checks the request head. Returns `{ ok: false, status, reason }` when the request must be answered
 * with `status` (400, or 505 for an HTTP version other than 1.0/1.1) and the connection closed.
 */
export function checkFraming(req: FramingInput, options: FramingOptions = {}): FramingVerdict {
  const refuseContentFor = options.refuseContentFor;
  const { httpVersionMajor: major, httpVersionMinor: minor } = req;
  if (major !== 1 || (minor !== 0 && minor !== 1)) {
    return refuse(`HTTP version ${major}.${minor} is not supported`, 505);
  }
  const method = req.method ?? "";
  if (!TOKEN.test(method)) return refuse("invalid method");
  if (method === "CONNECT") return refuse("CONNECT is not proxied");

  const target = checkTarget(method, req.url ?? "");
  if (target !== undefined) return refuse(target);

  const raw = req.rawHeaders;
  if (raw.length % 2 !== 0) return refuse("malformed header list");
  let hosts = 0;
  let hostValue = "";
  const contentLengths: string[] = [];
  const transferEncodings: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? "";
    const value = raw[i + 1] ?? "";
    if (!TOKEN.test(name)) return refuse(`invalid header name ${JSON.stringify(name)}`);
    if (hasBadValueChar(value)) return refuse(`control character in the value of ${name}`);
    const lower = name.toLowerCase();
    switch (lower) {
      case "host":
        hosts++;
        hostValue = value;
        break;
      case "content-length":
        contentLengths.push(value);
        break;
      case "transfer-encoding":
        transferEncodings.push(value);
        break;
      default: {
        const canonical = LOOK_ALIKES.get(lower.replace(/[^a-z0-9]/g, ""));
        if (canonical !== undefined) return refuse(`header ${JSON.stringify(name)} looks like ${canonical}`);
      }
    }
  }

  if (hosts > 1) return refuse("more than one Host field");
  if (hosts === 0 && minor === 1) return refuse("HTTP/1.1 request without Host");
  if (hosts === 1 && !HOST_VALUE.test(hostValue)) return refuse("invalid Host value");

  if (transferEncodings.length > 0) {
    if (minor === 0) return refuse("Transfer-Encoding in an HTTP/1.0 request");
    if (contentLengths.length > 0) return refuse("both Content-Length and Transfer-Encoding");
    const problem = checkTransferCodings(transferEncodings);
    if (problem !== undefined) return refuse(problem);
    if (refuseContentFor?.has(method)) return refuse(`${method} request with a chunked body`);
  }
  if (contentLengths.length > 1) return refuse("more than one Content-Length field");
  const contentLength = contentLengths[0];
  if (contentLength !== undefined) {
    if (!CONTENT_LENGTH.test(contentLength)) return refuse("invalid Content-Length");
    if (refuseContentFor?.has(method) && Number(contentLength) !== 0) {
      return refuse(`${method} request with a body`);
    }
  }
  return OK;
}

/**
 * RFC 9112 §6.1: in a request, chunked must be the final transfer coding and applied only once; the
 * fields form one comma-separated list (several fields are combined in order). llhttp, strict, refuses
 * a request whose list does not end in chunked (after the 'request' event) and accepts `gzip, chunked`.
 * berth accepts: one or more fields whose combined list is zero or more registered codings (gzip,
 * x-gzip, deflate, compress, x-compress) followed by one `chunked`, each element a bare token
 * (case-insensitive, no parameters, no empty elements). Everything else is refused: `xchunked`,
 * `chunkedchunked`, `chunked, identity`, `identity, chunked`, `chunked, chunked`, `\xa0chunked`,
 * `chunked;ext`, `pigeons`.
 * The forwarder must send such a body on with the same codings (`Transfer-Encoding: gzip, chunked`,
 * re-chunked), never decode the chunking and drop the other codings.
 */
function checkTransferCodings(fields: readonly string[]): string | undefined {
  const codings = fields
    .join(",")
    .split(",")
    .map((coding) => coding.replace(/^[ \t]+|[ \t]+$/g, ""));
  const last = codings.length - 1;
  for (let i = 0; i <= last; i++) {
    const coding = (codings[i] ?? "").toLowerCase();
    if (i === last) {
      if (coding !== "chunked") return "Transfer-Encoding does not end in exactly chunked";
    } else if (coding === "chunked") {
      return "chunked is not the final transfer coding, or is applied twice";
    } else if (!KNOWN_CODINGS.has(coding)) {
      return `unsupported transfer coding ${JSON.stringify(coding)}`;
    }
  }
  return undefined;
}

/** Returns why the request-target is refused, or undefined when it is acceptable. */
function checkTarget(method: string, target: string): string | undefined {
  if (target === "") return "empty request target";
  if (hasBadTargetChar(target)) return "invalid character in the request target";
  if (target === "*") return method === "OPTIONS" ? undefined : `${method} * is only allowed for OPTIONS`;
  if (target.startsWith("/")) return undefined;
  // absolute-form (RFC 9112 §3.2.2): only http and https, with a host and without userinfo.
  // The router must then take the authority from the target, not from Host.
  if (/^https?:\/\//i.test(target)) {
    const authority = target.slice(target.indexOf("//") + 2).split(/[/?#]/, 1)[0] ?? "";
    if (authority.includes("@")) return "userinfo in the request target";
    if (authority === "" || !HOST_VALUE.test(authority)) return "invalid authority in the request target";
    try {
      if (new URL(target).hostname === "") return "absolute-form target without a host";
    } catch {
      return "invalid absolute-form target";
    }
    return undefined;
  }
  return "request target is neither origin-form nor an http(s) absolute-form";
}
