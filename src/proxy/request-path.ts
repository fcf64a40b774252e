// The request-target of an HTTP/1.1 request, read the way the router matches it (pure; no I/O).
//
// The normalized path is what routes are matched on AND what the upstream is sent, so that an
// upstream never resolves a path differently from the prefix that admitted it:
//   - percent-encodings of unreserved characters (ALPHA DIGIT - . _ ~) are decoded; every other
//     percent-encoding is kept, with upper-case hex (`%2f` → `%2F`). `%2F` and `%5C` are never
//     separators, so `/static%2F..%2Fadmin` is one segment, not a way out of `/static`;
//   - characters RFC 3986 does not allow raw in a path (`\`, `|`, `{`, `"`, …) are percent-encoded:
//     a raw backslash is data (`%5C`), never a separator;
//   - empty segments are collapsed (`//a` → `/a`), `.` and `..` are resolved (RFC 3986
//     remove_dot_segments); a `..` above the root is refused rather than clamped;
//   - refused outright (bad request): invalid percent-encodings (`%zz`, `%4`), an encoded NUL,
//     percent-encoded bytes that are not well-formed UTF-8 (overlong `%C0%AE` is a disguised "."),
//     raw controls, spaces and non-ASCII, a fragment, and any segment that would become a
//     dot-segment for an upstream that splits on `%2F`, `%5C` or `;` (`..%2Fadmin`, `..;`).
// The query string is passed through untouched.

export type RequestTarget =
  | {
      ok: true;
      /** The normalized path: starts with "/", no query. */
      path: string;
      /** The query exactly as received, with its "?" ("" when there was none). */
      query: string;
      /** The authority of an absolute-form target (`http://host:port/…`), lower-cased; else undefined. */
      authority?: string;
    }
  | { ok: false; reason: string };

export type NormalizedPath = { ok: true; path: string } | { ok: false; reason: string };

const HEX = "0123456789ABCDEF";

/** 0 = refused raw, 1 = allowed raw, 2 = allowed but percent-encoded. Indexed by char code < 128. */
const RAW = new Uint8Array(128);
for (let c = 0x21; c < 0x7f; c++) RAW[c] = 2;
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/%") {
  RAW[c.charCodeAt(0)] = 1;
}
RAW["#".charCodeAt(0)] = 0; // a fragment is never part of a request-target
RAW["?".charCodeAt(0)] = 0; // split off before the path is read

function isUnreserved(b: number): boolean {
  return (
    (b >= 0x41 && b <= 0x5a) || // A-Z
    (b >= 0x61 && b <= 0x7a) || // a-z
    (b >= 0x30 && b <= 0x39) || // 0-9
    b === 0x2d || // -
    b === 0x2e || // .
    b === 0x5f || // _
    b === 0x7e // ~
  );
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Whether the bytes a path's percent-encodings stand for are well-formed UTF-8 (no overlong forms). */
function encodedBytesAreUtf8(path: string): boolean {
  const bytes: number[] = [];
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0x25) {
      bytes.push(hexValue(path.charCodeAt(i + 1)) * 16 + hexValue(path.charCodeAt(i + 2)));
      i += 2;
    } else {
      bytes.push(c);
    }
  }
  try {
    utf8.decode(new Uint8Array(bytes));
    return true;
  } catch {
    return false;
  }
}

/**
 * A segment that an upstream would read as "." or ".." if it split on `%2F` or `%5C`, or cut a
 * segment's `;parameters` off (Tomcat reads `/static/..;/admin` as `/admin`).
 */
function hidesDotSegment(segment: string): boolean {
  if (!segment.includes(".")) return false;
  for (const piece of segment.split(/%2F|%5C/)) {
    const semicolon = piece.indexOf(";");
    const name = semicolon < 0 ? piece : piece.slice(0, semicolon);
    if (name === "." || name === "..") return true;
  }
  return false;
}

/** Whether a path is already normalized, checked cheaply: the common case on the hot path. */
function alreadyNormal(raw: string): boolean {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 128 || RAW[c] !== 1 || c === 0x25) return false;
  }
  // no empty segment, and no segment starting with "." (".", "..", "..;")
  return !raw.includes("//") && !raw.includes("/.");
}

/**
 * Normalizes an origin-form path (no query). Also used on route prefixes, so both sides of a
 * match are in the same form.
 */
export function normalizePath(raw: string): NormalizedPath {
  if (raw.charCodeAt(0) !== 0x2f) return { ok: false, reason: "path does not start with /" };
  if (alreadyNormal(raw)) return { ok: true, path: raw };
  let out = "";
  let sawHighByte = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    const kind = c < 128 ? RAW[c] : 0;
    if (kind === 0) {
      if (c === 0x23) return { ok: false, reason: "fragment in request target" };
      return { ok: false, reason: "character not allowed in path" };
    }
    if (kind === 2) {
      out += `%${HEX[c >> 4]}${HEX[c & 15]}`;
      continue;
    }
    if (c !== 0x25) {
      out += raw[i];
      continue;
    }
    const hi = hexValue(raw.charCodeAt(i + 1));
    const lo = hexValue(raw.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return { ok: false, reason: "invalid percent-encoding" };
    const b = hi * 16 + lo;
    i += 2;
    if (b === 0) return { ok: false, reason: "encoded NUL in path" };
    if (isUnreserved(b)) out += String.fromCharCode(b);
    else {
      if (b >= 0x80) sawHighByte = true;
      out += `%${HEX[hi]}${HEX[lo]}`;
    }
  }
  if (sawHighByte && !encodedBytesAreUtf8(out)) {
    return { ok: false, reason: "percent-encoded bytes are not valid UTF-8" };
  }

  const segments = out.split("/");
  const kept: string[] = [];
  let trailingSlash = false;
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    const last = i === segments.length - 1;
    if (segment === "" || segment === ".") {
      trailingSlash = last;
      continue;
    }
    if (segment === "..") {
      if (kept.length === 0) return { ok: false, reason: "path climbs above the root" };
      kept.pop();
      trailingSlash = last;
      continue;
    }
    if (hidesDotSegment(segment)) {
      return { ok: false, reason: "hidden dot-segment" };
    }
    kept.push(segment);
    trailingSlash = false;
  }
  if (kept.length === 0) return { ok: true, path: "/" };
  return { ok: true, path: `/${kept.join("/")}${trailingSlash ? "/" : ""}` };
}

const ABSOLUTE_FORM = /^https?:\/\//i;

/**
 * Reads a request-target as node:http gives it (`req.url`). Origin-form (`/path?query`) and
 * absolute-form (`http://host/path?query`, RFC 9112 §3.2.2) are accepted; asterisk-form (`*`)
 * and authority-form (`host:port`, CONNECT) are refused: berth does not proxy them.
 */
export function parseRequestTarget(raw: string): RequestTarget {
  let rest = raw;
  let authority: string | undefined;
  if (raw === "*") return { ok: false, reason: "asterisk-form request target" };
  if (raw.charCodeAt(0) !== 0x2f) {
    const scheme = ABSOLUTE_FORM.exec(raw);
    if (!scheme) {
      return { ok: false, reason: "request target is neither origin-form nor absolute-form" };
    }
    const start = scheme[0].length;
    let end = start;
    while (end < raw.length && raw[end] !== "/" && raw[end] !== "?" && raw[end] !== "#") end++;
    authority = raw.slice(start, end).toLowerCase();
    if (authority === "") return { ok: false, reason: "absolute-form target without a host" };
    if (authority.includes("@")) return { ok: false, reason: "userinfo in request target" };
    rest = raw.slice(end);
    if (rest === "" || rest.charCodeAt(0) === 0x3f) rest = `/${rest}`;
  }
  const q = rest.indexOf("?");
  const rawPath = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? "" : rest.slice(q);
  for (let i = 0; i < query.length; i++) {
    const c = query.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return { ok: false, reason: "character not allowed in query" };
    if (c === 0x23) return { ok: false, reason: "fragment in request target" };
  }
  const normalized = normalizePath(rawPath);
  if (!normalized.ok) return normalized;
  return authority === undefined
    ? { ok: true, path: normalized.path, query }
    : { ok: true, path: normalized.path, query, authority };
}
