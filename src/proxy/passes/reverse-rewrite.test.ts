import assert from "node:assert/strict";
import { test } from "node:test";
import { HeaderList } from "./header-list.js";
import {
  publicOrigin,
  type ReverseRewriteContext,
  rewriteRefresh,
  rewriteResponseHeaders,
  rewriteSetCookie,
  rewriteUrl,
  upstreamOrigins,
} from "./reverse-rewrite.js";

const upstream = upstreamOrigins({ host: "127.0.0.1", port: 41234 }, { insidePort: 80 });
const plain: ReverseRewriteContext = { upstream, publicOrigin: "https://example.com", prefix: "" };
const api: ReverseRewriteContext = { upstream, publicOrigin: "https://example.com", prefix: "/api" };

test("upstreamOrigins lists the dialed address, its loopback forms and the inside port", () => {
  assert.deepEqual([...upstream.origins].sort(), [
    "http://127.0.0.1",
    "http://127.0.0.1:41234",
    "http://127.0.0.1:80",
    "http://[::1]",
    "http://[::1]:41234",
    "http://[::1]:80",
    "http://localhost",
    "http://localhost:41234",
    "http://localhost:80",
  ]);
  assert.deepEqual([...upstream.hosts].sort(), ["127.0.0.1", "::1", "[::1]", "localhost"]);
  const remote = upstreamOrigins({ host: "Backend.Internal", port: 8080 }, { extra: ["http://web:3000"] });
  assert.deepEqual([...remote.origins].sort(), ["http://backend.internal:8080", "http://web:3000"]);
  const v6 = upstreamOrigins({ host: "::1", port: 5000 });
  assert.ok(v6.origins.includes("http://[::1]:5000"));
  assert.ok(v6.origins.includes("http://localhost:5000"));
});

test("publicOrigin leaves out the scheme's default port only", () => {
  const cases: [scheme: "http" | "https", host: string, want: string][] = [
    ["http", "Example.com", "http://example.com"],
    ["http", "example.com:80", "http://example.com"],
    ["http", "example.com:8080", "http://example.com:8080"],
    ["https", "example.com:443", "https://example.com"],
    ["https", "example.com:80", "https://example.com:80"],
    ["http", "[2001:db8::1]:80", "http://[2001:db8::1]"],
    ["http", "[2001:db8::1]:8080", "http://[2001:db8::1]:8080"],
    ["http", "[2001:db8::1]", "http://[2001:db8::1]"],
  ];
  for (const [scheme, host, want] of cases)
    assert.equal(publicOrigin(scheme, host), want, `${scheme} ${host}`);
});

test("rewriteUrl: upstream origins to the public one, prefix put back, others untouched", () => {
  const cases: [value: string, ctx: ReverseRewriteContext, want: string | undefined][] = [
    ["http://127.0.0.1:41234/x", plain, "https://example.com/x"],
    ["http://127.0.0.1:41234/x", api, "https://example.com/api/x"],
    ["http://localhost:41234/x?y=1#z", api, "https://example.com/api/x?y=1#z"],
    ["http://[::1]:41234/", api, "https://example.com/api/"],
    ["HTTP://LOCALHOST:41234/X", plain, "https://example.com/X"],
    ["http://localhost:80/x", api, "https://example.com/api/x"],
    ["http://localhost/x", api, "https://example.com/api/x"],
    ["http://127.0.0.1:41234", api, "https://example.com/api/"],
    ["http://127.0.0.1:41234?q", api, "https://example.com/api/?q"],
    ["http://127.0.0.1:41234", plain, "https://example.com"],
    ["//127.0.0.1:41234/x", api, "//example.com/api/x"],
    ["/x", api, "/api/x"],
    ["/", api, "/api/"],
    ["/x", plain, undefined],
    ["x/y", api, undefined],
    ["../y", api, undefined],
    ["http://127.0.0.1:412345/x", api, undefined],
    ["http://127.0.0.1:4123/x", api, undefined],
    ["http://127.0.0.1.evil.test/x", api, undefined],
    ["http://localhost:8080/x", api, undefined],
    ["https://127.0.0.1:41234/x", api, undefined],
    ["https://other.example/x", api, undefined],
    ["//other.example/x", api, undefined],
    ["", api, undefined],
  ];
  for (const [value, ctx, want] of cases)
    assert.equal(rewriteUrl(value, ctx), want, `${value} (${ctx.prefix})`);
});

test("rewriteRefresh rewrites the url= part only", () => {
  const cases: [string, string | undefined][] = [
    ["5; url=http://127.0.0.1:41234/x", "5; url=https://example.com/api/x"],
    ["0;URL='http://localhost:41234/x'", "0;URL='https://example.com/api/x'"],
    ["3; url=/next", "3; url=/api/next"],
    ["3, /next", "3, /api/next"],
    ["5", undefined],
    ["5; url=https://other.example/x", undefined],
  ];
  for (const [value, want] of cases) assert.equal(rewriteRefresh(value, api), want, value);
});

test("rewriteSetCookie: Path gets the prefix, an upstream Domain is dropped", () => {
  const cases: [value: string, ctx: ReverseRewriteContext, want: string | undefined][] = [
    ["sid=1; Path=/; HttpOnly", api, "sid=1; Path=/api; HttpOnly"],
    ["sid=1; path=/x/y", api, "sid=1; path=/api/x/y"],
    ["sid=1; Path=/", plain, undefined],
    ["sid=1; Domain=localhost; Path=/", api, "sid=1; Path=/api"],
    ["sid=1; Domain=.127.0.0.1; Secure", plain, "sid=1; Secure"],
    ["sid=1; domain=LOCALHOST", plain, "sid=1"],
    ["sid=1; Domain=example.com; Path=/", plain, undefined],
    ["sid=1; Domain=example.com; Path=/", api, "sid=1; Domain=example.com; Path=/api"],
    ["path=/; Max-Age=60", api, undefined],
    ["sid=1; Path=relative", api, undefined],
    ["sid=1", api, undefined],
  ];
  for (const [value, ctx, want] of cases)
    assert.equal(rewriteSetCookie(value, ctx), want, `${value} (${ctx.prefix})`);
});

test("rewriteResponseHeaders touches Location, Content-Location, URI, Refresh and Set-Cookie only", () => {
  const h = new HeaderList([
    "Location",
    "http://127.0.0.1:41234/login",
    "content-location",
    "/doc",
    "URI",
    "http://localhost:80/u",
    "Refresh",
    "5; url=http://[::1]:41234/r",
    "Set-Cookie",
    "a=1; Path=/; Domain=127.0.0.1",
    "Set-Cookie",
    "b=2",
    "Link",
    "<http://127.0.0.1:41234/style.css>; rel=preload",
    "X-Location",
    "http://127.0.0.1:41234/x",
  ]);
  rewriteResponseHeaders(h, api);
  assert.deepEqual(h.raw, [
    "Location",
    "https://example.com/api/login",
    "content-location",
    "/api/doc",
    "URI",
    "https://example.com/api/u",
    "Refresh",
    "5; url=https://example.com/api/r",
    "Set-Cookie",
    "a=1; Path=/api",
    "Set-Cookie",
    "b=2",
    "Link",
    "<http://127.0.0.1:41234/style.css>; rel=preload",
    "X-Location",
    "http://127.0.0.1:41234/x",
  ]);
});

test("rewriteResponseHeaders without a prefix leaves relative Locations alone", () => {
  const h = new HeaderList(["Location", "/login", "Location", "http://localhost:41234/a"]);
  rewriteResponseHeaders(h, { ...plain, publicOrigin: publicOrigin("http", "example.com:8080") });
  assert.deepEqual(h.raw, ["Location", "/login", "Location", "http://example.com:8080/a"]);
});
