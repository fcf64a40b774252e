import assert from "node:assert/strict";
import { test } from "node:test";
import type { RouteConfig, SiteConfig } from "../config/config.js";
import { buildRouter, hostName, listenKey, type RouteResult, type Router } from "./router.js";

function route(path: string, name: string, stripPrefix = false): RouteConfig {
  return {
    path,
    stripPrefix,
    upstream: { kind: "url", url: new URL(`http://127.0.0.1:9000/${name}`) },
    preserveHost: true,
    requestHeaders: { set: {}, add: {}, remove: [] },
    responseHeaders: { set: {}, add: {}, remove: [] },
    timeouts: { connectMs: 1000, responseHeaderMs: 1000, idleMs: 1000 },
  };
}

function site(hosts: string[], routes: RouteConfig[], opts: { port?: number; isDefault?: boolean } = {}) {
  const s: SiteConfig = {
    listen: [{ host: "0.0.0.0", port: opts.port ?? 8080 }],
    hosts,
    isDefault: opts.isDefault ?? false,
    trustedProxies: [],
    routes,
  };
  return s;
}

/** The route's name (the upstream URL's path) or the result kind, for compact tables. */
function summary(result: RouteResult): string {
  switch (result.kind) {
    case "route": {
      const u = result.route.upstream;
      return `${u.kind === "url" ? u.url.pathname.slice(1) : u.service} ${result.upstreamPath}`;
    }
    case "no_route":
      return `no_route ${result.site.hosts.join(",") || "*"}`;
    case "bad_request":
      return `bad_request ${result.reason}`;
    default:
      return result.kind;
  }
}

function only(routers: Map<string, Router>, key = "0.0.0.0:8080"): Router {
  const router = routers.get(key);
  assert.ok(router, `a router for ${key}`);
  return router;
}

test("listenKey brackets IPv6 hosts", () => {
  assert.equal(listenKey({ host: "127.0.0.1", port: 80 }), "127.0.0.1:80");
  assert.equal(listenKey({ host: "::1", port: 8080 }), "[::1]:8080");
  assert.equal(listenKey({ host: "::", port: 1 }), "[::]:1");
});

test("buildRouter gives one router per listen address", () => {
  const a = site(["a.test"], [route("/", "a")], { port: 8080 });
  const b = site(["b.test"], [route("/", "b")], { port: 8081 });
  a.listen.push({ host: "::1", port: 8080 }, { host: "::1", port: 8080 });
  const routers = buildRouter([a, b]);
  assert.deepEqual([...routers.keys()].sort(), ["0.0.0.0:8080", "0.0.0.0:8081", "[::1]:8080"]);
  assert.equal(summary(only(routers, "0.0.0.0:8080").route("a.test", "/")), "a /");
  assert.equal(only(routers, "0.0.0.0:8080").route("b.test", "/").kind, "no_site");
  assert.equal(summary(only(routers, "0.0.0.0:8081").route("b.test", "/")), "b /");
  assert.equal(summary(only(routers, "[::1]:8080").route("a.test", "/")), "a /");
});

test("hostName lower-cases, drops the port and one trailing dot, canonicalizes IPv6", () => {
  const cases: [string, string | undefined][] = [
    ["Example.TEST", "example.test"],
    ["example.test:8080", "example.test"],
    ["example.test.", "example.test"],
    ["example.test.:80", "example.test"],
    ["example.test:", "example.test"],
    ["127.0.0.1:8080", "127.0.0.1"],
    ["[::1]", "[::1]"],
    ["[::1]:8080", "[::1]"],
    ["[0:0:0:0:0:0:0:1]:80", "[::1]"],
    ["[FE80::A]", "[fe80::a]"],
    ["", ""],
    ["example.test..", undefined],
    [".example.test", undefined],
    ["a..b", undefined],
    [":80", undefined],
    ["example.test:80x", undefined],
    ["example.test:80:90", undefined],
    ["::1", undefined],
    ["[::1", undefined],
    ["[::1]x", undefined],
    ["[zz::1]", undefined],
    ["[]", undefined],
    ["exa mple.test", undefined],
    ["example.test/x", undefined],
    ["user@example.test", undefined],
  ];
  for (const [value, expected] of cases) assert.equal(hostName(value), expected, value);
});

test("hosts: exact names before wildcards, longest wildcard first, then any-host, then default", () => {
  const routers = buildRouter([
    site(["*.example.test"], [route("/", "wild")]),
    site(["*.b.example.test"], [route("/", "wild-b")]),
    site(["example.test", "www.example.test"], [route("/", "exact")]),
    site(["x.b.example.test"], [route("/", "exact-xb")]),
    site(["other.test"], [route("/", "default")], { isDefault: true }),
  ]);
  const router = only(routers);
  const cases: [string | undefined, string][] = [
    ["example.test", "exact /"],
    ["EXAMPLE.test", "exact /"],
    ["example.test:8080", "exact /"],
    ["example.test.", "exact /"],
    ["www.example.test", "exact /"],
    ["a.example.test", "wild /"],
    ["a.c.example.test", "wild /"],
    ["b.example.test", "wild /"],
    ["a.b.example.test", "wild-b /"],
    ["a.a.b.example.test:1", "wild-b /"],
    ["x.b.example.test", "exact-xb /"],
    ["notexample.test", "default /"],
    ["example.test.evil", "default /"],
    ["other.test", "default /"],
    ["unknown.test", "default /"],
    ["[::1]:8080", "default /"],
    ["", "default /"],
    [undefined, "default /"],
    ["bad host", "bad_request invalid Host"],
  ];
  for (const [host, expected] of cases)
    assert.equal(summary(router.route(host, "/")), expected, String(host));
});

test("hosts: an unknown host is no_site when there is neither an any-host nor a default site", () => {
  const router = only(buildRouter([site(["a.test", "*.a.test"], [route("/", "a")])]));
  assert.equal(router.route("b.test", "/").kind, "no_site");
  assert.equal(router.route("a.test", "/").kind, "route");
  assert.equal(router.route("x.a.test", "/").kind, "route");
  assert.equal(router.route(undefined, "/").kind, "no_site");
  assert.equal(router.route("", "/").kind, "no_site");
});

test("hosts: a site without hosts takes every host its listener's other sites do not name", () => {
  const router = only(
    buildRouter([
      site(["a.test"], [route("/", "a")]),
      site([], [route("/", "any")]),
      site(["d.test"], [route("/", "d")], { isDefault: true }),
    ]),
  );
  assert.equal(summary(router.route("a.test", "/")), "a /");
  assert.equal(summary(router.route("d.test", "/")), "d /");
  assert.equal(summary(router.route("zzz.test", "/")), "any /");
  assert.equal(summary(router.route(undefined, "/")), "any /");
});

test("hosts: IPv6 literals and bare IPv6 addresses in hosts match their canonical forms", () => {
  const router = only(
    buildRouter([site(["[::1]"], [route("/", "v6")]), site(["fe80::0:1"], [route("/", "v6b")])]),
  );
  assert.equal(summary(router.route("[::1]:8080", "/")), "v6 /");
  assert.equal(summary(router.route("[0::1]", "/")), "v6 /");
  assert.equal(summary(router.route("[FE80::1]:80", "/")), "v6b /");
  assert.equal(router.route("[::2]", "/").kind, "no_site");
});

test("hosts: an absolute-form target's authority wins over the Host header", () => {
  const router = only(
    buildRouter([site(["a.test"], [route("/", "a")]), site(["b.test"], [route("/", "b")])]),
  );
  const result = router.route("a.test", "http://B.test:8080/x?y");
  assert.equal(summary(result), "b /x?y");
  assert.equal(result.kind === "route" && result.authority, "b.test:8080");
  const plain = router.route("a.test", "/x");
  assert.equal(plain.kind, "route");
  assert.equal("authority" in plain, false);

  assert.equal(summary(router.route("a.test", "http://[::1/")), "bad_request invalid Host");
});

test("paths: longest prefix wins, on segment boundaries, on the normalized path", () => {
  const router = only(
    buildRouter([
      site(
        ["a.test"],
        [route("/", "root"), route("/api", "api"), route("/api/v2", "v2"), route("/static/", "static")],
      ),
    ]),
  );
  const cases: [string, string][] = [
    ["/", "root /"],
    ["/x", "root /x"],
    ["/api", "api /api"],
    ["/api/", "api /api/"],
    ["/api/x", "api /api/x"],
    ["/apix", "root /apix"],
    ["/api/v2", "v2 /api/v2"],
    ["/api/v2/x/y", "v2 /api/v2/x/y"],
    ["/api/v22", "api /api/v22"],
    ["/API", "root /API"],
    ["/api//v2", "v2 /api/v2"],
    ["//api", "api /api"],
    ["/./api", "api /api"],
    ["/api/v2/../x", "api /api/x"],
    ["/%61pi", "api /api"],
    ["/static", "static /static"],
    ["/static/a.css", "static /static/a.css"],
    // escape attempts: each either stays inside /static or is refused
    ["/static/../admin", "root /admin"],
    ["/static/%2e%2e/admin", "root /admin"],
    ["/static/%2E%2E/admin", "root /admin"],
    ["/static/./x", "static /static/x"],
    ["/static%2F..%2Fadmin", "bad_request hidden dot-segment"],
    ["/static/..%2Fadmin", "bad_request hidden dot-segment"],
    ["/static/..%2fadmin", "bad_request hidden dot-segment"],
    ["/static/..%5Cadmin", "bad_request hidden dot-segment"],
    ["/static/..\\admin", "bad_request hidden dot-segment"],
    ["/static/..;/admin", "bad_request hidden dot-segment"],
    ["/static%2Fx", "root /static%2Fx"],
    ["/static\\x", "root /static%5Cx"],
    ["/static/a\\b", "static /static/a%5Cb"],
    ["/static/%252e%252e/admin", "static /static/%252e%252e/admin"],
    ["/static/%C0%AE%C0%AE/admin", "bad_request percent-encoded bytes are not valid UTF-8"],
    ["/static/../../admin", "bad_request path climbs above the root"],
    ["/../static", "bad_request path climbs above the root"],
    ["/static/%zz", "bad_request invalid percent-encoding"],
    ["*", "bad_request asterisk-form request target"],
    ["a.test:443", "bad_request request target is neither origin-form nor absolute-form"],
  ];
  for (const [target, expected] of cases)
    assert.equal(summary(router.route("a.test", target)), expected, target);
});

test("paths: no route prefix matching is no_route, naming the site", () => {
  const router = only(buildRouter([site(["a.test"], [route("/api", "api")])]));
  assert.equal(summary(router.route("a.test", "/")), "no_route a.test");
  assert.equal(summary(router.route("a.test", "/apix")), "no_route a.test");
  assert.equal(summary(router.route("a.test", "/ap")), "no_route a.test");
  assert.equal(summary(router.route("a.test", "/api/../x")), "no_route a.test");
  assert.equal(summary(router.route("a.test", "/api?x")), "api /api?x");
});

test("upstreamPath: the query passes through untouched", () => {
  const router = only(buildRouter([site([], [route("/", "root"), route("/api", "api", true)])]));
  const cases: [string, string][] = [
    ["/a?", "root /a?"],
    ["/a?x=1&y=2", "root /a?x=1&y=2"],
    ["/a?next=%2F..%2Fadmin&b=/../c", "root /a?next=%2F..%2Fadmin&b=/../c"],
    ["/a?q=%zz", "root /a?q=%zz"],
    ["/a?a?b", "root /a?a?b"],
    ["/api?x=1", "api /?x=1"],
    ["/api/x?y=1", "api /x?y=1"],
  ];
  for (const [target, expected] of cases) assert.equal(summary(router.route("h", target)), expected, target);
});

test("upstreamPath: strip_prefix removes the prefix and always leaves a leading /", () => {
  const router = only(
    buildRouter([
      site(
        [],
        [
          route("/", "root", true),
          route("/api", "api", true),
          route("/api/v2", "v2", true),
          route("/keep", "keep"),
          route("/s/", "s", true),
        ],
      ),
    ]),
  );
  const cases: [string, { name: string; upstream: string; path: string }][] = [
    ["/api", { name: "api", upstream: "/", path: "/api" }],
    ["/api/", { name: "api", upstream: "/", path: "/api/" }],
    ["/api/x?y=1", { name: "api", upstream: "/x?y=1", path: "/api/x" }],
    ["/api?y=1", { name: "api", upstream: "/?y=1", path: "/api" }],
    ["/api//x//", { name: "api", upstream: "/x/", path: "/api/x/" }],
    ["/api/./x/../y", { name: "api", upstream: "/y", path: "/api/y" }],
    ["/api/api", { name: "api", upstream: "/api", path: "/api/api" }],
    ["/api/v2/z", { name: "v2", upstream: "/z", path: "/api/v2/z" }],
    ["/apix", { name: "root", upstream: "/apix", path: "/apix" }],
    ["/", { name: "root", upstream: "/", path: "/" }],
    ["/x/y", { name: "root", upstream: "/x/y", path: "/x/y" }],
    ["/keep/x?q", { name: "keep", upstream: "/keep/x?q", path: "/keep/x" }],
    ["/keep/%2e%2e/api", { name: "api", upstream: "/", path: "/api" }],
    ["/s", { name: "s", upstream: "/", path: "/s" }],
    ["/s/t", { name: "s", upstream: "/t", path: "/s/t" }],
    ["/api/a%2Fb", { name: "api", upstream: "/a%2Fb", path: "/api/a%2Fb" }],
  ];
  for (const [target, expected] of cases) {
    const result = router.route("h", target);
    assert.equal(result.kind, "route", target);
    if (result.kind !== "route") continue;
    const u = result.route.upstream;
    assert.deepEqual(
      {
        name: u.kind === "url" ? u.url.pathname.slice(1) : "",
        upstream: result.upstreamPath,
        path: result.path,
      },
      expected,
      target,
    );
  }
});

test("buildRouter refuses what cannot be routed unambiguously", () => {
  const cases: [SiteConfig[], RegExp][] = [
    [[site(["a.test"], []), site(["A.test."], [])], /host a\.test named twice on 0\.0\.0\.0:8080/],
    [[site(["*.a.test"], []), site(["*.a.test"], [])], /host \*\.a\.test named twice/],
    [[site([], []), site([], [])], /two sites for any host on 0\.0\.0\.0:8080/],
    [[site(["a"], [], { isDefault: true }), site(["b"], [], { isDefault: true })], /two default sites/],
    [[site(["a"], [route("/api", "x"), route("/api/", "y")])], /two routes with path \/api/],
    [[site(["a"], [route("/a/../..", "x")])], /route path "\/a\/..\/..": path climbs above the root/],
    [[site(["a"], [route("api", "x")])], /route path "api": path does not start with \//],
    [[site(["*"], [])], /host "\*" is not a host name/],
    [[site(["a b"], [])], /host "a b" is not a host name/],
    [[site(["*.*.a"], [])], /host "\*\.\*\.a" is not a host name/],
    [[site(["*.[::1]"], [])], /host "\*\.\[::1\]" is not a host name/],
  ];
  for (const [sites, message] of cases) assert.throws(() => buildRouter(sites), message, String(message));
});

test("buildRouter allows the same host on different listeners", () => {
  const routers = buildRouter([
    site(["a.test"], [route("/", "one")], { port: 1 }),
    site(["a.test"], [route("/", "two")], { port: 2 }),
  ]);
  assert.equal(summary(only(routers, "0.0.0.0:1").route("a.test", "/")), "one /");
  assert.equal(summary(only(routers, "0.0.0.0:2").route("a.test", "/")), "two /");
});
