import assert from "node:assert/strict";
import { test } from "node:test";
import { applyForwarded, clientAddress, type ForwardedContext, forwardedNode } from "./forwarded.js";
import { HeaderList } from "./header-list.js";

const base: ForwardedContext = {
  peerAddress: "203.0.113.7",
  localPort: 8080,
  tls: false,
  host: "example.com:8080",
  trusted: false,
  requestId: "rid-1",
};

interface Case {
  name: string;
  ctx: Partial<ForwardedContext>;
  raw: string[];
  want: string[];
  id: string;
}

const cases: Case[] = [
  {
    name: "untrusted client, nothing inbound: all set from the connection",
    ctx: {},
    raw: ["Host", "example.com:8080", "Accept", "*/*"],
    want: [
      "Host",
      "example.com:8080",
      "Accept",
      "*/*",
      "X-Forwarded-For",
      "203.0.113.7",
      "X-Forwarded-Host",
      "example.com:8080",
      "X-Forwarded-Proto",
      "http",
      "X-Forwarded-Port",
      "8080",
      "Forwarded",
      'for=203.0.113.7;host="example.com:8080";proto=http',
      "X-Request-Id",
      "rid-1",
    ],
    id: "rid-1",
  },
  {
    name: "untrusted client spoofing X-Forwarded-*, Forwarded, X-Real-IP and X-Request-Id: all replaced",
    ctx: { host: "example.com" },
    raw: [
      "Host",
      "example.com",
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
      "X-Forwarded-Prefix",
      "/admin",
      "FORWARDED",
      "for=1.2.3.4",
      "X-Real-IP",
      "1.2.3.4",
      "X-Request-Id",
      "attacker-chosen",
      "Accept",
      "*/*",
    ],
    want: [
      "Host",
      "example.com",
      "X-Request-Id",
      "rid-1",
      "Accept",
      "*/*",
      "X-Forwarded-For",
      "203.0.113.7",
      "X-Forwarded-Host",
      "example.com",
      "X-Forwarded-Proto",
      "http",
      "X-Forwarded-Port",
      "8080",
      "Forwarded",
      "for=203.0.113.7;host=example.com;proto=http",
    ],
    id: "rid-1",
  },
  {
    name: "untrusted IPv6 peer: for= quoted and bracketed, X-Forwarded-For bare",
    ctx: { peerAddress: "2001:db8::7", host: "[2001:db8::1]:8080" },
    raw: [],
    want: [
      "X-Forwarded-For",
      "2001:db8::7",
      "X-Forwarded-Host",
      "[2001:db8::1]:8080",
      "X-Forwarded-Proto",
      "http",
      "X-Forwarded-Port",
      "8080",
      "Forwarded",
      'for="[2001:db8::7]";host="[2001:db8::1]:8080";proto=http',
      "X-Request-Id",
      "rid-1",
    ],
    id: "rid-1",
  },
  {
    name: "IPv4-mapped peer from a dual-stack listener is reported as IPv4",
    ctx: { peerAddress: "::ffff:198.51.100.9", host: undefined, localPort: 80 },
    raw: [],
    want: [
      "X-Forwarded-For",
      "198.51.100.9",
      "X-Forwarded-Proto",
      "http",
      "X-Forwarded-Port",
      "80",
      "Forwarded",
      "for=198.51.100.9;proto=http",
      "X-Request-Id",
      "rid-1",
    ],
    id: "rid-1",
  },
  {
    name: "trusted chain: For and Forwarded appended (merged), Host/Proto/Port and request id kept",
    ctx: { peerAddress: "10.0.0.2", trusted: true, host: "example.com" },
    raw: [
      "Host",
      "example.com",
      "X-Forwarded-For",
      "198.51.100.1",
      "X-Forwarded-For",
      "10.0.0.1",
      "X-Forwarded-Host",
      "public.example",
      "X-Forwarded-Proto",
      "https",
      "X-Forwarded-Port",
      "443",
      "Forwarded",
      'for=198.51.100.1;host=public.example;proto=https, for="[2001:db8::9]"',
      "X-Request-Id",
      "edge-42",
    ],
    want: [
      "Host",
      "example.com",
      "X-Forwarded-For",
      "198.51.100.1, 10.0.0.1, 10.0.0.2",
      "X-Forwarded-Host",
      "public.example",
      "X-Forwarded-Proto",
      "https",
      "X-Forwarded-Port",
      "443",
      "Forwarded",
      'for=198.51.100.1;host=public.example;proto=https, for="[2001:db8::9]", for=10.0.0.2;host=example.com;proto=http',
      "X-Request-Id",
      "edge-42",
    ],
    id: "edge-42",
  },
  {
    name: "trusted peer that sent nothing: the same as a first hop",
    ctx: { peerAddress: "::1", trusted: true, host: "example.com" },
    raw: ["Host", "example.com"],
    want: [
      "Host",
      "example.com",
      "X-Forwarded-For",
      "::1",
      "Forwarded",
      'for="[::1]";host=example.com;proto=http',
      "X-Forwarded-Host",
      "example.com",
      "X-Forwarded-Proto",
      "http",
      "X-Forwarded-Port",
      "8080",
      "X-Request-Id",
      "rid-1",
    ],
    id: "rid-1",
  },
  {
    name: "trusted peer sending only X-Forwarded-Proto: it is kept, the others set",
    ctx: { peerAddress: "10.0.0.2", trusted: true, host: "example.com", tls: true, localPort: 8443 },
    raw: ["X-Forwarded-Proto", "https"],
    want: [
      "X-Forwarded-Proto",
      "https",
      "X-Forwarded-For",
      "10.0.0.2",
      "Forwarded",
      "for=10.0.0.2;host=example.com;proto=https",
      "X-Forwarded-Host",
      "example.com",
      "X-Forwarded-Port",
      "8443",
      "X-Request-Id",
      "rid-1",
    ],
    id: "rid-1",
  },
  {
    name: "trusted peer with an two X-Request-Id fields: replaced by one of ours",
    ctx: { peerAddress: "10.0.0.2", trusted: true, host: undefined },
    raw: ["X-Request-Id", "a", "x-request-id", "c"],
    want: [
      "X-Request-Id",
      "rid-1",
      "X-Forwarded-For",
      "10.0.0.2",
      "Forwarded",
      "for=10.0.0.2;proto=http",
      "X-Forwarded-Proto",
      "http",
      "X-Forwarded-Port",
      "8080",
    ],
    id: "rid-1",
  },
  {
    name: "trusted peer with a request id that is not plain visible ASCII: replaced",
    ctx: { peerAddress: "10.0.0.2", trusted: true, host: undefined },
    raw: ["X-Request-Id", "has space"],
    want: [
      "X-Request-Id",
      "rid-1",
      "X-Forwarded-For",
      "10.0.0.2",
      "Forwarded",
      "for=10.0.0.2;proto=http",
      "X-Forwarded-Proto",
      "http",
      "X-Forwarded-Port",
      "8080",
    ],
    id: "rid-1",
  },
];

for (const c of cases) {
  test(`forwarded: ${c.name}`, () => {
    const h = new HeaderList([...c.raw]);
    const id = applyForwarded(h, { ...base, ...c.ctx });
    assert.deepEqual(h.raw, c.want);
    assert.equal(id, c.id);
  });
}

test("clientAddress unmaps IPv4-mapped addresses and drops zones", () => {
  const cases: [string, string][] = [
    ["::ffff:10.0.0.1", "10.0.0.1"],
    ["::FFFF:10.0.0.1", "10.0.0.1"],
    ["::ffff:a00:1", "::ffff:a00:1"],
    ["fe80::1%eth0", "fe80::1"],
    ["2001:db8::1", "2001:db8::1"],
    ["192.0.2.1", "192.0.2.1"],
  ];
  for (const [input, want] of cases) assert.equal(clientAddress(input), want, input);
});

test("forwardedNode quotes and brackets IPv6 only", () => {
  assert.equal(forwardedNode("192.0.2.1"), "192.0.2.1");
  assert.equal(forwardedNode("2001:db8::1"), '"[2001:db8::1]"');
});
