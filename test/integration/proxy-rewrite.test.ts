// Issue 3 point 3, through a real berth: Location, Content-Location, URI and Refresh that point at
// the upstream (the address dialed and its localhost / 127.0.0.1 / [::1] forms) come back with the
// public scheme, host and port, and with a stripped prefix put back; Set-Cookie Path gets the prefix
// back and a Domain naming the upstream is dropped. For a service berth runs and for a url upstream.
import assert from "node:assert/strict";
import { once } from "node:events";
import { rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { freePort } from "../../src/lib/ports.js";
import { BerthProcess, fixture, proxyAndInstanceUp, writeConfig } from "../support/berth-process.js";
import { send, values } from "../support/http-client.js";

/** A path on the echo backend that answers with these response headers. */
function answering(path: string, headers: [string, string][], status = 200): string {
  const q = new URLSearchParams();
  q.set("status", String(status));
  for (const [name, value] of headers) q.append("h", `${name}:${value}`);
  return `${path}?${q}`;
}

const PORT = await freePort();
const HOST = `example.test:${PORT}`;
const PUBLIC = `http://${HOST}`;
let berth: BerthProcess;
let dir: string;
let inside: number;
/** A backend berth does not run (a `url:` upstream): answers with the headers its query asks for. */
let external: Server;
let externalPort: number;

before(async () => {
  external = createServer((req, res) => {
    const url = new URL(req.url!, "http://x");
    const headers: string[] = [];
    for (const h of url.searchParams.getAll("h"))
      headers.push(h.slice(0, h.indexOf(":")), h.slice(h.indexOf(":") + 1));
    res.writeHead(Number(url.searchParams.get("status") ?? 200), [...headers, "X-Path", url.pathname]);
    res.end();
  });
  external.listen(0, "127.0.0.1");
  await once(external, "listening");
  externalPort = (external.address() as AddressInfo).port;

  const config = writeConfig(`
services:
  web:
    command: ${fixture("http-echo.mjs")}
    port: auto
    ready: { http: /healthz }
sites:
  - listen: "127.0.0.1:${PORT}"
    routes:
      - path: /
        service: web
      - path: /api
        service: web
        strip_prefix: true
      - path: /kept
        service: web
      - path: /ext
        url: http://127.0.0.1:${externalPort}
        strip_prefix: true
`);
  dir = config.dir;
  berth = BerthProcess.up(config.file);
  inside = await proxyAndInstanceUp(berth, "web#1");
});

after(async () => {
  await berth?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  external?.closeAllConnections();
  external?.close();
});

describe("Location and friends", () => {
  test("every name of the upstream's own address is rewritten to the public origin", async () => {
    for (const upstream of [
      `http://127.0.0.1:${inside}`,
      `http://localhost:${inside}`,
      `http://[::1]:${inside}`,
      `HTTP://LOCALHOST:${inside}`,
    ]) {
      const reply = await send(PORT, answering("/go", [["Location", `${upstream}/next?a=1`]], 302), {
        host: HOST,
      });
      assert.equal(reply.status, 302);
      assert.deepEqual(values(reply.rawHeaders, "location"), [`${PUBLIC}/next?a=1`], upstream);
    }
  });

  test("Content-Location, URI and Refresh are rewritten too", async () => {
    const reply = await send(
      PORT,
      answering("/go", [
        ["Content-Location", `http://127.0.0.1:${inside}/doc`],
        ["URI", `http://localhost:${inside}/u`],
        ["Refresh", `5; url=http://127.0.0.1:${inside}/later`],
      ]),
      { host: HOST },
    );
    assert.deepEqual(values(reply.rawHeaders, "content-location"), [`${PUBLIC}/doc`]);
    assert.deepEqual(values(reply.rawHeaders, "uri"), [`${PUBLIC}/u`]);
    assert.deepEqual(values(reply.rawHeaders, "refresh"), [`5; url=${PUBLIC}/later`]);
  });

  test("other origins, other ports of localhost and relative references are left alone", async () => {
    for (const location of [
      "https://elsewhere.example/x",
      `http://127.0.0.1:${inside + 1}/x`,
      `http://127.0.0.1:${inside}0/x`,
      "/absolute/path",
      "relative",
    ]) {
      const reply = await send(PORT, answering("/go", [["Location", location]], 302), { host: HOST });
      assert.deepEqual(values(reply.rawHeaders, "location"), [location], location);
    }
  });

  test("with strip_prefix, the prefix is put back, on absolute URLs and on paths", async () => {
    const absolute = await send(
      PORT,
      answering("/api/login", [["Location", `http://127.0.0.1:${inside}/home?x=1`]], 303),
      { host: HOST },
    );
    assert.deepEqual(values(absolute.rawHeaders, "location"), [`${PUBLIC}/api/home?x=1`]);
    const root = await send(
      PORT,
      answering("/api/login", [["Location", `http://localhost:${inside}`]], 302),
      { host: HOST },
    );
    // The upstream's root (with or without its "/") is the route's root: "/api/".
    assert.deepEqual(values(root.rawHeaders, "location"), [`${PUBLIC}/api/`]);
    const path = await send(PORT, answering("/api/login", [["Location", "/home"]], 302), { host: HOST });
    assert.deepEqual(values(path.rawHeaders, "location"), ["/api/home"]);
    const refresh = await send(PORT, answering("/api/x", [["Refresh", "0;url=/again"]]), { host: HOST });
    assert.deepEqual(values(refresh.rawHeaders, "refresh"), ["0;url=/api/again"]);
  });

  test("a route that does not strip its prefix leaves paths as they are", async () => {
    const reply = await send(
      PORT,
      answering("/kept/x", [["Location", `http://127.0.0.1:${inside}/kept/y`]], 302),
      { host: HOST },
    );
    assert.deepEqual(values(reply.rawHeaders, "location"), [`${PUBLIC}/kept/y`]);
  });

  test("the public origin is the Host the client used", async () => {
    const reply = await send(PORT, answering("/go", [["Location", `http://127.0.0.1:${inside}/n`]], 302), {
      host: "other.test",
    });
    assert.deepEqual(values(reply.rawHeaders, "location"), ["http://other.test/n"]);
  });

  test("a url upstream is rewritten the same way, with its stripped prefix", async () => {
    const reply = await send(
      PORT,
      answering(
        "/ext/old",
        [
          ["Location", `http://127.0.0.1:${externalPort}/new`],
          ["Set-Cookie", "s=1; Path=/; Domain=127.0.0.1"],
        ],
        301,
      ),
      { host: HOST },
    );
    assert.equal(reply.status, 301);
    assert.deepEqual(values(reply.rawHeaders, "x-path"), ["/old"]);
    assert.deepEqual(values(reply.rawHeaders, "location"), [`${PUBLIC}/ext/new`]);
    assert.deepEqual(values(reply.rawHeaders, "set-cookie"), ["s=1; Path=/ext"]);
  });
});

describe("Set-Cookie", () => {
  test("with strip_prefix: Path gets the prefix, an upstream Domain is dropped, others kept", async () => {
    const reply = await send(
      PORT,
      answering("/api/login", [
        ["Set-Cookie", "sid=abc; Path=/; Domain=127.0.0.1; HttpOnly"],
        ["Set-Cookie", "pref=dark; path=/settings; domain=.localhost"],
        ["Set-Cookie", "wide=1; Path=/; Domain=example.test"],
        ["Set-Cookie", "nopath=1"],
      ]),
      { host: HOST },
    );
    assert.deepEqual(values(reply.rawHeaders, "set-cookie"), [
      "sid=abc; Path=/api; HttpOnly",
      "pref=dark; path=/api/settings",
      "wide=1; Path=/api; Domain=example.test",
      "nopath=1",
    ]);
  });

  test("without strip_prefix: Path stays, an upstream Domain is still dropped", async () => {
    const reply = await send(
      PORT,
      answering("/login", [
        ["Set-Cookie", "sid=abc; Path=/; Domain=localhost; Secure"],
        ["Set-Cookie", "x=1; Path=/x"],
      ]),
      { host: HOST },
    );
    assert.deepEqual(values(reply.rawHeaders, "set-cookie"), ["sid=abc; Path=/; Secure", "x=1; Path=/x"]);
  });
});
