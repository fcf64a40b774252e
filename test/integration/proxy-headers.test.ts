// Issue 3 point 2 (and the hop-by-hop part of point 4, and X-Request-Id of point 6), through a
// real berth: the forwarding headers the backend receives, computed from the connection, with
// spoofed ones removed for an untrusted client and appended to for a trusted proxy; Host kept or
// replaced; a user's header op winning over berth's default; hop-by-hop fields removed both ways.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { freePort } from "../../src/lib/ports.js";
import { AccessLog } from "../support/access-log.js";
import { BerthProcess, fixture, proxyAndInstanceUp, writeConfig } from "../support/berth-process.js";
import { received, send, values } from "../support/http-client.js";

const PUBLIC = await freePort();
const TRUSTING = await freePort();
let berth: BerthProcess;
let dir: string;
let instancePort: number;
let accessLog: AccessLog;

before(async () => {
  const config = writeConfig(`
state_dir: state
services:
  web:
    command: ${fixture("http-echo.mjs")}
    port: auto
    ready: { http: /healthz }
sites:
  - listen: ["127.0.0.1:${PUBLIC}", "[::1]:${PUBLIC}"]
    routes:
      - path: /
        service: web
      - path: /port80
        service: web
        headers:
          request: { set: { X-Forwarded-Port: "80" }, add: { Via: "1.1 berth-test" }, remove: [X-Debug] }
          response: { set: { X-Served-By: berth }, remove: [X-Powered-By] }
      - path: /upstream-host
        service: web
        preserve_host: false
  - listen: "127.0.0.1:${TRUSTING}"
    trusted_proxies: [10.0.0.0/8, 127.0.0.1]
    routes:
      - path: /
        service: web
`);
  dir = config.dir;
  accessLog = new AccessLog(join(dir, "state"));
  berth = BerthProcess.up(config.file);
  instancePort = await proxyAndInstanceUp(berth, "web#1");
});

after(async () => {
  await berth?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("forwarding headers", () => {
  test("from an untrusted client, spoofed X-Forwarded-*, Forwarded and X-Real-IP are replaced by the connection's", async () => {
    const host = `example.test:${PUBLIC}`;
    const echo = received(
      await send(PUBLIC, "/spoof", {
        headers: [
          "Host",
          host,
          "X-Forwarded-For",
          "1.2.3.4",
          "x-forwarded-for",
          "5.6.7.8",
          "X-Forwarded-Host",
          "evil.test",
          "X-Forwarded-Proto",
          "https",
          "X-Forwarded-Port",
          "443",
          "Forwarded",
          "for=1.2.3.4;proto=https",
          "X-Real-IP",
          "1.2.3.4",
          "X-Request-Id",
          "chosen-by-client",
        ],
      }),
    );
    const h = echo.rawHeaders;
    assert.deepEqual(values(h, "x-forwarded-for"), ["127.0.0.1"]);
    assert.deepEqual(values(h, "x-forwarded-host"), [host]);
    assert.deepEqual(values(h, "x-forwarded-proto"), ["http"]);
    assert.deepEqual(values(h, "x-forwarded-port"), [String(PUBLIC)]);
    assert.deepEqual(values(h, "forwarded"), [`for=127.0.0.1;host="${host}";proto=http`]);
    assert.deepEqual(values(h, "x-real-ip"), []);
    const ids = values(h, "x-request-id");
    assert.equal(ids.length, 1);
    assert.notEqual(ids[0], "chosen-by-client");
    // The id sent upstream is the one in the access log.
    const line = await accessLog.line(ids[0]!);
    assert.match(line, / "GET \/spoof" 200 /);
  });

  test("an IPv6 client is X-Forwarded-For ::1 and a quoted, bracketed Forwarded for=", async () => {
    const reply = await send(PUBLIC, "/v6", {
      address: "::1",
      host: `[::1]:${PUBLIC}`,
      headers: ["X-Forwarded-For", "1.2.3.4"],
    });
    const h = received(reply).rawHeaders;
    assert.deepEqual(values(h, "x-forwarded-for"), ["::1"]);
    assert.deepEqual(values(h, "forwarded"), [`for="[::1]";host="[::1]:${PUBLIC}";proto=http`]);
  });

  test("from a trusted proxy, X-Forwarded-For and Forwarded are appended to and the rest kept", async () => {
    const echo = received(
      await send(TRUSTING, "/trusted", {
        headers: [
          "Host",
          "public.example",
          "X-Forwarded-For",
          "203.0.113.9",
          "X-Forwarded-Host",
          "public.example",
          "X-Forwarded-Proto",
          "https",
          "X-Forwarded-Port",
          "443",
          "Forwarded",
          "for=203.0.113.9;proto=https",
          "X-Request-Id",
          "edge-42",
        ],
      }),
    );
    const h = echo.rawHeaders;
    assert.deepEqual(values(h, "x-forwarded-for"), ["203.0.113.9, 127.0.0.1"]);
    assert.deepEqual(values(h, "forwarded"), [
      "for=203.0.113.9;proto=https, for=127.0.0.1;host=public.example;proto=http",
    ]);
    assert.deepEqual(values(h, "x-forwarded-host"), ["public.example"]);
    assert.deepEqual(values(h, "x-forwarded-proto"), ["https"]);
    assert.deepEqual(values(h, "x-forwarded-port"), ["443"]);
    assert.deepEqual(values(h, "x-request-id"), ["edge-42"]);
    assert.match(await accessLog.line("edge-42"), / "GET \/trusted" 200 /);
  });

  test("a trusted proxy that sent none gets berth's own, set from the connection", async () => {
    const h = received(
      await send(TRUSTING, "/trusted-bare", { headers: ["Host", "public.example"] }),
    ).rawHeaders;
    assert.deepEqual(values(h, "x-forwarded-for"), ["127.0.0.1"]);
    assert.deepEqual(values(h, "x-forwarded-proto"), ["http"]);
    assert.deepEqual(values(h, "x-forwarded-port"), [String(TRUSTING)]);
    assert.deepEqual(values(h, "forwarded"), ["for=127.0.0.1;host=public.example;proto=http"]);
    assert.equal(values(h, "x-request-id").length, 1);
  });
});

describe("Host", () => {
  test("is the client's by default", async () => {
    const h = received(await send(PUBLIC, "/x", { headers: ["Host", "Shop.Example.test"] })).rawHeaders;
    assert.deepEqual(values(h, "host"), ["Shop.Example.test"]);
  });

  test("is the upstream's with preserve_host: false; X-Forwarded-Host still tells the client's", async () => {
    const h = received(
      await send(PUBLIC, "/upstream-host/y", { headers: ["Host", "shop.example.test"] }),
    ).rawHeaders;
    assert.deepEqual(values(h, "host"), [`127.0.0.1:${instancePort}`]);
    assert.deepEqual(values(h, "x-forwarded-host"), ["shop.example.test"]);
  });
});

describe("the route's header ops", () => {
  test("set X-Forwarded-Port: 80 wins over berth's default; add and remove apply; response ops too", async () => {
    const reply = await send(PUBLIC, `/port80/z?h=X-Powered-By:php&h=X-Kept:yes`, {
      headers: ["Host", "example.test", "X-Forwarded-Port", "1234", "X-Debug", "1", "Via", "1.1 edge"],
    });
    const h = received(reply).rawHeaders;
    assert.deepEqual(values(h, "x-forwarded-port"), ["80"]);
    assert.deepEqual(values(h, "x-debug"), []);
    assert.deepEqual(values(h, "via"), ["1.1 edge", "1.1 berth-test"]);
    assert.deepEqual(values(reply.rawHeaders, "x-served-by"), ["berth"]);
    assert.deepEqual(values(reply.rawHeaders, "x-powered-by"), []);
    assert.deepEqual(values(reply.rawHeaders, "x-kept"), ["yes"]);
  });

  test("routes without the op send the listener's port", async () => {
    const h = received(await send(PUBLIC, "/z", { headers: ["Host", "example.test"] })).rawHeaders;
    assert.deepEqual(values(h, "x-forwarded-port"), [String(PUBLIC)]);
  });
});

describe("hop-by-hop fields", () => {
  test("are not forwarded upstream, nor the fields Connection names; Host and Content-Length survive", async () => {
    const echo = received(
      await send(PUBLIC, "/hop", {
        method: "POST",
        body: "hello",
        headers: [
          "Host",
          "example.test",
          "Connection",
          "keep-alive, X-Hop, Host, Content-Length",
          "X-Hop",
          "secret",
          "Keep-Alive",
          "timeout=5",
          "Proxy-Connection",
          "keep-alive",
          "Proxy-Authorization",
          "Basic Zm9vOmJhcg==",
          "TE",
          "trailers, deflate",
          "X-End-To-End",
          "kept",
          "Content-Length",
          "5",
        ],
      }),
    );
    const h = echo.rawHeaders;
    for (const name of ["x-hop", "keep-alive", "proxy-connection", "proxy-authorization"]) {
      assert.deepEqual(values(h, name), [], `${name} reached the backend`);
    }
    assert.deepEqual(values(h, "te"), ["trailers"]);
    assert.deepEqual(values(h, "x-end-to-end"), ["kept"]);
    assert.deepEqual(values(h, "host"), ["example.test"]);
    assert.deepEqual(values(h, "content-length"), ["5"]);
    assert.ok(!values(h, "connection").some((v) => /x-hop/i.test(v)), "Connection naming X-Hop was sent on");
    assert.equal(echo.body, "hello");
  });

  test("are not passed back to the client, nor the fields the upstream's Connection names", async () => {
    const reply = await send(
      PUBLIC,
      "/hop-back?h=Connection:X-Secret&h=X-Secret:s3cret&h=Keep-Alive:timeout%3D99&h=Proxy-Authenticate:Basic&h=X-Fine:1",
      { headers: ["Host", "example.test"] },
    );
    assert.equal(reply.status, 200);
    const h = reply.rawHeaders;
    assert.deepEqual(values(h, "x-secret"), []);
    assert.deepEqual(values(h, "proxy-authenticate"), []);
    assert.ok(!values(h, "keep-alive").includes("timeout=99"), "the upstream's Keep-Alive came through");
    assert.ok(!values(h, "connection").some((v) => /x-secret/i.test(v)));
    assert.deepEqual(values(h, "x-fine"), ["1"]);
  });
});
