import assert from "node:assert/strict";
import { test } from "node:test";
import { trustedProxies } from "./trusted-proxies.js";

test("trustedProxies matches addresses against CIDR ranges and bare addresses", () => {
  const trusted = trustedProxies(["10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::1"]);
  const cases: [string, boolean][] = [
    ["10.1.2.3", true],
    ["11.0.0.1", false],
    ["192.0.2.7", true],
    ["192.0.2.8", false],
    ["::ffff:10.9.9.9", true],
    ["::ffff:11.0.0.1", false],
    ["2001:db8:1::5", true],
    ["2001:db9::5", false],
    ["::1", true],
    ["127.0.0.1", false],
    ["not an address", false],
  ];
  for (const [address, want] of cases) assert.equal(trusted(address), want, address);
});

test("an empty list trusts no one", () => {
  const trusted = trustedProxies([]);
  assert.equal(trusted("127.0.0.1"), false);
  assert.equal(trusted("::1"), false);
});

test("/0 trusts a whole family", () => {
  const trusted = trustedProxies(["0.0.0.0/0"]);
  assert.equal(trusted("203.0.113.1"), true);
  assert.equal(trusted("2001:db8::1"), false);
});

test("trustedProxies refuses what is not an address or CIDR", () => {
  for (const bad of ["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "example.com", "10.0.0/8", ""]) {
    assert.throws(() => trustedProxies([bad]), /trusted_proxies/, bad);
  }
});
