import assert from "node:assert/strict";
import { test } from "node:test";
import {
  checkHeaderName,
  checkHeaderValue,
  type Parsed,
  parseCidr,
  parseHost,
  parseListen,
  parseRoutePath,
  parseUpstreamUrl,
} from "./site-formats.js";

function value<T>(parsed: Parsed<T>): T {
  assert.ok(parsed.ok, parsed.ok ? "" : parsed.error);
  return parsed.value;
}

function failure(parsed: Parsed<unknown>): string {
  assert.ok(!parsed.ok, "expected an error");
  return parsed.error;
}

test("a bare port listens on every interface, IPv4 and IPv6", () => {
  const all = [
    { host: "0.0.0.0", port: 8080 },
    { host: "::", port: 8080 },
  ];
  assert.deepEqual(value(parseListen(8080)), all);
  assert.deepEqual(value(parseListen("8080")), all);
});

test("host:port and [v6]:port; IPv6 in canonical form", () => {
  assert.deepEqual(value(parseListen("127.0.0.1:80")), [{ host: "127.0.0.1", port: 80 }]);
  assert.deepEqual(value(parseListen("[::1]:8080")), [{ host: "::1", port: 8080 }]);
  assert.deepEqual(value(parseListen("[0:0:0:0:0:0:0:1]:8080")), [{ host: "::1", port: 8080 }]);
  assert.match(failure(parseListen("::1:8080")), /in brackets/);
  assert.match(failure(parseListen("localhost:80")), /for localhost write "127.0.0.1:80"/);
  assert.match(failure(parseListen("127.0.0.1")), /missing the port/);
  assert.match(failure(parseListen(0)), /out of range/);
  assert.match(failure(parseListen("1.2.3.4:65536")), /out of range/);
  assert.match(failure(parseListen("[fe80::1%eth0]:80")), /cannot be listened on/);
});

test("hosts are lower-cased; wildcards only as the first label", () => {
  assert.equal(value(parseHost("Example.COM")), "example.com");
  assert.equal(value(parseHost("*.Example.com")), "*.example.com");
  assert.equal(value(parseHost("10.0.0.1")), "10.0.0.1");
  assert.equal(value(parseHost("[0::1]")), "[::1]");
  assert.match(failure(parseHost("::1")), /in brackets/);
  assert.match(failure(parseHost("example.com:8080")), /has no port/);
  assert.match(failure(parseHost("*")), /leave hosts: out/);
  assert.match(failure(parseHost("a.*.com")), /first label/);
  assert.match(failure(parseHost("-a.com")), /not a valid host name/);
  assert.match(failure(parseHost("a..com")), /not a valid host name/);
  assert.match(failure(parseHost(`${"a".repeat(64)}.com`)), /not a valid host name/);
});

test("route paths are normalized, and escapes that could slip past a prefix are refused", () => {
  assert.equal(value(parseRoutePath("/")), "/");
  assert.equal(value(parseRoutePath("/api/")), "/api");
  assert.equal(value(parseRoutePath("/%7Euser/%c3%a9")), "/~user/%C3%A9");
  assert.equal(value(parseRoutePath("/a:b@c")), "/a:b@c");
  assert.match(failure(parseRoutePath("api")), /starting with "\/"/);
  assert.match(failure(parseRoutePath("/a/%2e%2E/b")), /"\." and "\.\." segments/);
  assert.match(failure(parseRoutePath("/a/./b")), /"\." and "\.\." segments/);
  assert.match(failure(parseRoutePath("/a/..")), /"\." and "\.\." segments/);
  assert.match(failure(parseRoutePath("//a")), /empty segments/);
  assert.match(failure(parseRoutePath("/a%2fb")), /%2f \(an encoded "\/"\)/);
  assert.match(failure(parseRoutePath("/a%5Cb")), /an encoded "\\"/);
  assert.match(failure(parseRoutePath("/a%zz")), /escape like %20/);
  assert.match(failure(parseRoutePath("/a b")), /percent-encode/);
  assert.match(failure(parseRoutePath("/a#b")), /no query/);
});

test("trusted proxies: IPs and CIDRs, v4 and v6, normalized", () => {
  assert.equal(value(parseCidr("10.0.0.0/8")), "10.0.0.0/8");
  assert.equal(value(parseCidr("192.168.1.7")), "192.168.1.7/32");
  assert.equal(value(parseCidr("::1")), "::1/128");
  assert.equal(value(parseCidr("FD00:0::/8")), "fd00::/8");
  assert.equal(value(parseCidr("::ffff:10.0.0.0/104")), "::ffff:a00:0/104");
  assert.equal(value(parseCidr("0.0.0.0/0")), "0.0.0.0/0");
  assert.match(failure(parseCidr("10.0.0.1/8")), /write 10\.0\.0\.0\/8/);
  assert.match(failure(parseCidr("fd00::1/8")), /write fd00::\/8/);
  assert.match(failure(parseCidr("10.0.0.0/33")), /expected 0 to 32/);
  assert.match(failure(parseCidr("10.0.0.0/")), /out of range/);
  assert.match(failure(parseCidr("example.com")), /not an IP address/);
});

test("header names are HTTP tokens; values have no control characters; framing headers are berth's", () => {
  assert.equal(checkHeaderName("X-Forwarded-Port"), undefined);
  assert.match(checkHeaderName("X Y")!, /not a header name/);
  assert.match(checkHeaderName("X:Y")!, /not a header name/);
  assert.match(checkHeaderName("content-length")!, /berth manages itself/);
  assert.equal(checkHeaderValue("80"), undefined);
  assert.equal(checkHeaderValue("a\tb"), undefined);
  assert.match(checkHeaderValue("a\r\nX-Evil: 1")!, /CR, LF/);
  assert.match(checkHeaderValue("a\0")!, /control characters/);
});

test("url: http://host:port only, for now", () => {
  assert.equal(value(parseUpstreamUrl("http://127.0.0.1:9000")).href, "http://127.0.0.1:9000/");
  assert.equal(value(parseUpstreamUrl("http://[::1]:9000/")).host, "[::1]:9000");
  assert.match(failure(parseUpstreamUrl("https://example.com")), /not supported yet/);
  assert.match(failure(parseUpstreamUrl("http://example.com/app")), /path in url/);
  assert.match(failure(parseUpstreamUrl("http://u:p@example.com")), /credentials/);
  assert.match(failure(parseUpstreamUrl("http://example.com/?")), /no query/);
  assert.match(failure(parseUpstreamUrl("example.com:80")), /expected an http:\/\/ URL/);
});
