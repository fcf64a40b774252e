// The leaf formats of `sites:`: listen addresses, host names, route paths, CIDRs, header names
// and values, upstream URLs. Each parser returns the normalized value or a message saying what
// is wrong and what would be valid; the schema reports the message, normalize.ts uses the value.
import { isIP } from "node:net";
import { CONNECTION_HEADERS } from "../lib/http-headers.js";
import type { ListenAddress } from "./config.js";

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(error: string): Parsed<T> => ({ ok: false, error });

const LISTEN_HINT = 'a port like 8080, "127.0.0.1:8080" or "[::1]:8080"';

/** A bare port listens on every interface, IPv4 and IPv6 (0.0.0.0 and ::), like nginx. */
export function parseListen(v: number | string): Parsed<ListenAddress[]> {
  const s = String(v);
  if (/^\d+$/.test(s)) {
    const port = parsePort(s);
    return port.ok
      ? ok([
          { host: "0.0.0.0", port: port.value },
          { host: "::", port: port.value },
        ])
      : bad(port.error);
  }
  const v6 = /^\[([^\]]*)\](?::(\d*))?$/.exec(s);
  const v4 = /^([^:[\]]*):(\d*)$/.exec(s);
  const [, host, portText] = v6 ?? v4 ?? [];
  if (host === undefined) {
    if (isIP(s) === 6 || (s.includes(":") && isIP(s.slice(0, s.lastIndexOf(":"))) === 6)) {
      return bad(`write an IPv6 address in brackets, with the port after them: "[::1]:8080"`);
    }
    return isIP(s) ? bad(`missing the port: write "${s}:8080"`) : bad(`expected ${LISTEN_HINT}`);
  }
  if (portText === undefined || portText === "")
    return bad(`missing the port: write "${s.replace(/:$/, "")}:8080"`);
  const port = parsePort(portText);
  if (!port.ok) return bad(port.error);
  const family = isIP(host);
  if ((v6 && family !== 6) || (v4 && family !== 4)) {
    const name = JSON.stringify(host);
    const localhost =
      host.toLowerCase() === "localhost"
        ? `; for localhost write "127.0.0.1:${port.value}" or "[::1]:${port.value}"`
        : "";
    return bad(
      `${name} is not an IP address${v6 ? " (IPv6 in brackets)" : ""}: expected ${LISTEN_HINT}${localhost}`,
    );
  }
  const canonical = v6 ? canonicalV6(host) : host;
  if (canonical === undefined) return bad(`"${host}" cannot be listened on: expected ${LISTEN_HINT}`);
  return ok([{ host: canonical, port: port.value }]);
}

function parsePort(s: string): Parsed<number> {
  const port = Number(s);
  return port >= 1 && port <= 65535 ? ok(port) : bad(`port ${s} is out of range: expected 1 to 65535`);
}

/** "[::1]:8080", "127.0.0.1:8080": how listen addresses are shown in messages. */
export function formatListen({ host, port }: ListenAddress): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

// "fe80::1%eth0" (a zone) and other forms the URL parser refuses have no canonical form.
function canonicalV6(host: string): string | undefined {
  try {
    return new URL(`http://[${host}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** An exact host name, an IP address, or "*.domain"; lower-cased. */
export function parseHost(written: string): Parsed<string> {
  const s = written.toLowerCase();
  if (s === "*") return bad("to answer any host, leave hosts: out");
  if (s.startsWith("[") && s.endsWith("]")) {
    const v6 = isIP(s.slice(1, -1)) === 6 ? canonicalV6(s.slice(1, -1)) : undefined;
    return v6 ? ok(`[${v6}]`) : bad(`${JSON.stringify(written)} is not an IPv6 address`);
  }
  if (isIP(s) === 6) return bad(`write an IPv6 address in brackets, as in a Host header: "[${s}]"`);
  if (/:\d*$/.test(s)) {
    return bad(`a host has no port: write "${written.replace(/:\d*$/, "")}" (the port comes from listen:)`);
  }
  const name = s.startsWith("*.") ? s.slice(2) : s;
  if (name.includes("*")) return bad('a wildcard is only allowed as the whole first label: "*.example.com"');
  if (name.length > 253 || !name.split(".").every((label) => LABEL.test(label))) {
    return bad(
      `${JSON.stringify(written)} is not a valid host name: expected labels of letters, digits, - and _, separated by dots, like "example.com" or "*.example.com"`,
    );
  }
  return ok(s);
}

const PCHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * A route's path prefix, normalized: percent-encoded unreserved characters decoded, other
 * escapes upper-cased, no trailing slash (except "/"). What a client could use to escape a
 * prefix, or what would never match a normalized request path, is an error: "." and ".."
 * segments, empty segments ("//"), an encoded "/" or "\".
 */
export function parseRoutePath(s: string): Parsed<string> {
  if (!s.startsWith("/")) return bad(`expected a path starting with "/", like "/api"`);
  if (/[?#]/.test(s)) return bad("a route path has no query (?) or fragment (#); match on the path only");
  if (!PCHAR.test(s)) {
    const c = [...s].find((ch) => !PCHAR.test(ch))!;
    return bad(`${JSON.stringify(c)} cannot appear in a URL path: percent-encode it (a space is %20)`);
  }
  let path = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== "%") {
      path += s[i];
      continue;
    }
    const hex = s.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex))
      return bad(`"%" must start an escape like %20; write %25 for a literal %`);
    const c = String.fromCharCode(Number.parseInt(hex, 16));
    if (c === "/" || c === "\\") {
      return bad(
        `%${hex} (an encoded "${c}") is not allowed: it could be used to slip past a prefix; write "/"`,
      );
    }
    path += UNRESERVED.test(c) ? c : `%${hex.toUpperCase()}`;
    i += 2;
  }
  if (path.includes("//")) return bad('empty segments ("//") are not allowed: write a single "/"');
  if (path.split("/").some((seg) => seg === "." || seg === "..")) {
    return bad('"." and ".." segments are not allowed: write the path they lead to');
  }
  return ok(path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path);
}

/** An IP or CIDR, v4 or v6; normalized to "network/prefix" (a bare IP gets /32 or /128). */
export function parseCidr(s: string): Parsed<string> {
  const slash = s.indexOf("/");
  const ip = slash < 0 ? s : s.slice(0, slash);
  const family = isIP(ip);
  const hint = 'expected an IP address or a CIDR range, like "10.0.0.0/8", "192.168.1.7" or "fd00::/8"';
  if (family === 0 || (family === 6 && canonicalV6(ip) === undefined))
    return bad(`${JSON.stringify(ip)} is not an IP address; ${hint}`);
  const bits = family === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(bits) : s.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d+$/.test(prefixText) || prefix > bits) {
    return bad(
      `prefix length "${prefixText}" is out of range: expected 0 to ${bits} for an IPv${family} address`,
    );
  }
  const bytes = family === 4 ? ip.split(".").map(Number) : v6Bytes(ip);
  const network = bytes.map((b, i) => b & (0xff << (8 - Math.min(8, Math.max(0, prefix - i * 8)))) & 0xff);
  const shown = family === 4 ? network.join(".") : canonicalV6(v6Groups(network))!;
  if (network.some((b, i) => b !== bytes[i])) {
    return bad(`${s} has bits set after the /${prefix} prefix; write ${shown}/${prefix}`);
  }
  return ok(`${shown}/${prefix}`);
}

function v6Bytes(ip: string): number[] {
  const groups = (part: string): number[] =>
    part === ""
      ? []
      : part.split(":").flatMap((g) => {
          if (!g.includes(".")) return [Number.parseInt(g, 16)];
          const [a, b, c, d] = g.split(".").map(Number) as [number, number, number, number];
          return [(a << 8) | b, (c << 8) | d];
        });
  const [head = "", tail] = ip.split("::");
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

function v6Groups(bytes: number[]): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(":");
}

/** An HTTP field name: an RFC 9110 token. */
export const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// What node:http accepts in a field value: tab, visible ASCII, obs-text; no CR, LF or NUL.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Framing and hop-by-hop headers: berth manages them; a header op cannot touch them. */
export const MANAGED_HEADERS: readonly string[] = [...CONNECTION_HEADERS, "content-length"];

export function checkHeaderName(name: string): string | undefined {
  if (!HEADER_NAME.test(name)) {
    return `${JSON.stringify(name)} is not a header name: use letters, digits and - (no spaces, colons or quotes)`;
  }
  if (MANAGED_HEADERS.includes(name.toLowerCase())) {
    return `${name} is a framing or hop-by-hop header that berth manages itself; it cannot be changed here`;
  }
  return undefined;
}

export function checkHeaderValue(value: string): string | undefined {
  return HEADER_VALUE.test(value)
    ? undefined
    : "a header value cannot contain CR, LF or other control characters (tab is allowed)";
}

/** An upstream berth does not run: http://host[:port], nothing after it. */
export function parseUpstreamUrl(s: string): Parsed<URL> {
  const hint = 'expected an http:// URL like "http://127.0.0.1:9000"';
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return bad(hint);
  }
  if (url.protocol === "https:") return bad("https:// upstreams are not supported yet: use http://");
  if (url.protocol !== "http:" || url.hostname === "") return bad(hint);
  if (url.username || url.password)
    return bad("credentials in url are not supported; set an Authorization header in headers.request.set");
  if (url.search || url.hash || s.includes("?") || s.includes("#"))
    return bad("url has no query or fragment: write only http://host:port");
  if (url.pathname !== "/") {
    return bad(
      `a path in url is not supported yet: write only http://${url.host} (and use path: with strip_prefix: to map paths)`,
    );
  }
  return ok(url);
}
