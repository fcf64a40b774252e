import assert from "node:assert/strict";
import { test } from "node:test";
import { normalizePath, parseRequestTarget } from "./request-path.js";

test("normalizePath resolves dot-segments, collapses // and decodes only unreserved characters", () => {
  const cases: [string, string][] = [
    ["/", "/"],
    ["/a/b", "/a/b"],
    ["/a/b/", "/a/b/"],
    ["//a", "/a"],
    ["/a//b///c", "/a/b/c"],
    ["/a//", "/a/"],
    ["/./a", "/a"],
    ["/a/./b", "/a/b"],
    ["/a/.", "/a/"],
    ["/a/b/..", "/a/"],
    ["/a/b/../c", "/a/c"],
    ["/static/../admin", "/admin"],
    ["/static/%2e%2e/admin", "/admin"],
    ["/static/%2E/x", "/static/x"],
    ["/a/..", "/"],
    ["/..a/b..", "/..a/b.."],
    ["/.../x", "/.../x"],
    ["/%41%7a%30%2D%5f%7E", "/Az0-_~"],
    ["/a%2fb", "/a%2Fb"],
    ["/a%5cb", "/a%5Cb"],
    ["/a%20b", "/a%20b"],
    ["/a%3Fb", "/a%3Fb"],
    ["/%25", "/%25"],
    ["/static/%252e%252e/admin", "/static/%252e%252e/admin"],
    ["/caf%C3%A9", "/caf%C3%A9"],
    ["/caf%c3%a9", "/caf%C3%A9"],
    ["/a\\b", "/a%5Cb"],
    ['/a|b{c}^`"<>[]', "/a%7Cb%7Bc%7D%5E%60%22%3C%3E%5B%5D"],
    ["/a:b@c!$&'()*+,;=", "/a:b@c!$&'()*+,;="],
    ["/x/a;./b", "/x/a;./b"],
    ["/x/a;..%2Fb", "/x/a;..%2Fb"],
    ["/x/.well-known/a", "/x/.well-known/a"],
    ["/x/..a/.b", "/x/..a/.b"],
  ];
  for (const [raw, expected] of cases) {
    assert.deepEqual(normalizePath(raw), { ok: true, path: expected }, raw);
  }
});

test("normalizePath refuses what could escape a prefix or is malformed", () => {
  const cases: [string, string][] = [
    ["/..", "path climbs above the root"],
    ["/../admin", "path climbs above the root"],
    ["/a/../../admin", "path climbs above the root"],
    ["/%2e%2e/admin", "path climbs above the root"],
    ["/static/./../../x", "path climbs above the root"],
    ["/static%2F..%2Fadmin", "hidden dot-segment"],
    ["/static%2f..%2fadmin", "hidden dot-segment"],
    ["/static/..%2Fadmin", "hidden dot-segment"],
    ["/static/%2e%2e%2fadmin", "hidden dot-segment"],
    ["/static/..%5Cadmin", "hidden dot-segment"],
    ["/static\\..\\admin", "hidden dot-segment"],
    ["/static/..\\admin", "hidden dot-segment"],
    ["/static/.%2Fadmin", "hidden dot-segment"],
    ["/static/..;/admin", "hidden dot-segment"],
    ["/static/.;/admin", "hidden dot-segment"],
    ["/static/a%2F..;x/admin", "hidden dot-segment"],
    ["/static/..;jsessionid=1/admin", "hidden dot-segment"],
    ["/a%zz", "invalid percent-encoding"],
    ["/a%4", "invalid percent-encoding"],
    ["/a%", "invalid percent-encoding"],
    ["/a%%41", "invalid percent-encoding"],
    ["/a%00b", "encoded NUL in path"],
    ["/%C0%AE%C0%AE/admin", "percent-encoded bytes are not valid UTF-8"],
    ["/%c0%af", "percent-encoded bytes are not valid UTF-8"],
    ["/%E0%80%AE", "percent-encoded bytes are not valid UTF-8"],
    ["/%ED%A0%80", "percent-encoded bytes are not valid UTF-8"],
    ["/%FF", "percent-encoded bytes are not valid UTF-8"],
    ["/caf%C3", "percent-encoded bytes are not valid UTF-8"],
    ["/a b", "character not allowed in path"],
    ["/a\tb", "character not allowed in path"],
    ["/a\x7f", "character not allowed in path"],
    ["/café", "character not allowed in path"],
    ["/a#frag", "fragment in request target"],
    ["a/b", "path does not start with /"],
    ["", "path does not start with /"],
  ];
  for (const [raw, reason] of cases) {
    assert.deepEqual(normalizePath(raw), { ok: false, reason }, raw);
  }
});

test("parseRequestTarget splits the query off and keeps it untouched", () => {
  const cases: [string, { path: string; query: string }][] = [
    ["/a", { path: "/a", query: "" }],
    ["/a?", { path: "/a", query: "?" }],
    ["/a?x=1&y=%2F..%2F", { path: "/a", query: "?x=1&y=%2F..%2F" }],
    ["/a/../b?next=/../../etc", { path: "/b", query: "?next=/../../etc" }],
    ["//a?b?c", { path: "/a", query: "?b?c" }],
    ["/?q=%zz", { path: "/", query: "?q=%zz" }],
  ];
  for (const [raw, expected] of cases) {
    assert.deepEqual(parseRequestTarget(raw), { ok: true, ...expected }, raw);
  }
});

test("parseRequestTarget reads absolute-form targets, with their authority", () => {
  const cases: [string, { path: string; query: string; authority: string }][] = [
    ["http://Example.Test/a/b?x", { path: "/a/b", query: "?x", authority: "example.test" }],
    ["HTTP://example.test:8080", { path: "/", query: "", authority: "example.test:8080" }],
    ["http://example.test?x=1", { path: "/", query: "?x=1", authority: "example.test" }],
    ["https://[::1]:8443/s/../t", { path: "/t", query: "", authority: "[::1]:8443" }],
  ];
  for (const [raw, expected] of cases) {
    assert.deepEqual(parseRequestTarget(raw), { ok: true, ...expected }, raw);
  }
});

test("parseRequestTarget refuses asterisk-form, authority-form and other targets", () => {
  const cases: [string, string][] = [
    ["*", "asterisk-form request target"],
    ["example.test:443", "request target is neither origin-form nor absolute-form"],
    ["ftp://example.test/", "request target is neither origin-form nor absolute-form"],
    ["http:/example.test/", "request target is neither origin-form nor absolute-form"],
    ["", "request target is neither origin-form nor absolute-form"],
    ["http:///a", "absolute-form target without a host"],
    ["http://user:pw@example.test/", "userinfo in request target"],
    ["http://example.test/../x", "path climbs above the root"],
    ["/a?x#frag", "fragment in request target"],
    ["/a?x y", "character not allowed in query"],
    ["/a?é", "character not allowed in query"],
    ["/a%zz?x", "invalid percent-encoding"],
  ];
  for (const [raw, reason] of cases) {
    assert.deepEqual(parseRequestTarget(raw), { ok: false, reason }, raw);
  }
});

test("normalizePath is idempotent and never leaves an empty or dot segment (generated paths)", () => {
  const pieces = [
    "/",
    "/",
    "/",
    ".",
    "..",
    "a",
    "b.c",
    "%2e",
    "%2E%2e",
    "%2F",
    "%5c",
    "\\",
    ";",
    "%41",
    "%zz",
    "%C3%A9",
    "~",
  ];
  let seed = 12345;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed >> 12;
  };
  let ok = 0;
  let refused = 0;
  for (let n = 0; n < 5000; n++) {
    let raw = "/";
    const length = next() % 8;
    for (let i = 0; i < length; i++) raw += pieces[next() % pieces.length];
    const once = normalizePath(raw);
    if (!once.ok) {
      refused++;
      continue;
    }
    ok++;
    assert.deepEqual(normalizePath(once.path), once, `${raw} → ${once.path}`);
    const segments = once.path.split("/").slice(1, -1);
    for (const segment of segments) {
      assert.ok(segment !== "" && segment !== "." && segment !== "..", `${raw} → ${once.path}`);
    }
    assert.doesNotMatch(once.path, /%[0-9A-F]?[a-f]/, `${raw} → ${once.path}: lower-case hex`);
    assert.doesNotMatch(once.path, /\\/, `${raw} → ${once.path}: raw backslash`);
  }
  // the generator exercises both outcomes
  assert.ok(ok > 1000 && refused > 1000, `ok ${ok}, refused ${refused}`);
});
