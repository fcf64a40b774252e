import assert from "node:assert/strict";
import { test } from "node:test";
import { HeaderList } from "./header-list.js";
import { removeHopByHop } from "./hop-by-hop.js";

interface Case {
  name: string;
  raw: string[];
  upgrade?: boolean;
  want: string[];
}

const cases: Case[] = [
  {
    name: "Connection: close goes, end-to-end fields stay in order",
    raw: ["Host", "a.test", "Connection", "close", "Accept", "*/*"],
    want: ["Host", "a.test", "Accept", "*/*"],
  },
  {
    name: "every fixed hop-by-hop field goes, whatever its case",
    raw: [
      "Host",
      "a.test",
      "connection",
      "keep-alive",
      "Keep-Alive",
      "timeout=5",
      "Proxy-Connection",
      "keep-alive",
      "TE",
      "gzip",
      "Trailer",
      "X-Checksum",
      "TRANSFER-ENCODING",
      "chunked",
      "Upgrade",
      "websocket",
      "Proxy-Authenticate",
      "Basic",
      "Proxy-Authorization",
      "Basic Zm9vOmJhcg==",
      "X-Keep",
      "yes",
    ],
    want: ["Host", "a.test", "X-Keep", "yes"],
  },
  {
    name: "fields named in Connection go (x-foo), in any case and across several Connection fields",
    raw: [
      "Connection",
      "X-Foo, keep-alive",
      "x-foo",
      "1",
      "X-Bar",
      "2",
      "Connection",
      " x-bar ",
      "X-Baz",
      "3",
    ],
    want: ["X-Baz", "3"],
  },
  {
    name: "Connection cannot remove Host or Content-Length",
    raw: ["Host", "a.test", "Content-Length", "3", "Connection", "host, Content-Length, x-foo", "X-Foo", "1"],
    want: ["Host", "a.test", "Content-Length", "3"],
  },
  {
    name: "TE: trailers is kept as berth's own (other codings dropped)",
    raw: ["TE", "gzip;q=0.5, Trailers", "Connection", "TE", "Accept", "*/*"],
    want: ["Accept", "*/*", "TE", "trailers"],
  },
  {
    name: "TE without trailers goes entirely",
    raw: ["TE", "deflate", "Accept", "*/*"],
    want: ["Accept", "*/*"],
  },
  {
    name: "an upgrade to tunnel keeps Upgrade and sends Connection: upgrade, still dropping named fields",
    raw: ["Host", "a.test", "Connection", "keep-alive, Upgrade, X-Foo", "Upgrade", "websocket", "X-Foo", "1"],
    upgrade: true,
    want: ["Host", "a.test", "Upgrade", "websocket", "Connection", "upgrade"],
  },
  {
    name: "the upgrade flag without an Upgrade field adds nothing",
    raw: ["Host", "a.test", "Connection", "close"],
    upgrade: true,
    want: ["Host", "a.test"],
  },
  {
    name: "Upgrade is removed when the proxy will not tunnel",
    raw: ["Connection", "Upgrade", "Upgrade", "h2c", "HTTP2-Settings", "AAA", "Accept", "*/*"],
    want: ["HTTP2-Settings", "AAA", "Accept", "*/*"],
  },
  {
    name: "a response: Connection: close and Transfer-Encoding go, Set-Cookie stays",
    raw: [
      "Content-Type",
      "text/plain",
      "Transfer-Encoding",
      "chunked",
      "Connection",
      "close",
      "Set-Cookie",
      "a=1",
    ],
    want: ["Content-Type", "text/plain", "Set-Cookie", "a=1"],
  },
  {
    name: "nothing to remove leaves the headers untouched",
    raw: ["Host", "a.test", "Cookie", "a=1", "Connection-Id", "7", "Tea", "green"],
    want: ["Host", "a.test", "Cookie", "a=1", "Connection-Id", "7", "Tea", "green"],
  },
];

for (const c of cases) {
  test(`hop-by-hop: ${c.name}`, () => {
    const h = new HeaderList([...c.raw]);
    removeHopByHop(h, { upgrade: c.upgrade ?? false });
    assert.deepEqual(h.raw, c.want);
  });
}
