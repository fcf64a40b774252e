// A site's `trusted_proxies` (CIDR strings, or bare addresses) as one check over node's BlockList.
// IPv4-mapped IPv6 peers (`::ffff:10.0.0.1`, what a dual-stack listener reports) match IPv4 ranges.

import { BlockList, isIP } from "node:net";

/** True when `address` (a socket's remoteAddress) is a trusted proxy. */
export type TrustCheck = (address: string) => boolean;

const NEVER: TrustCheck = () => false;

/** Builds the check; throws on an entry that is not an address or CIDR (config checks it first). */
export function trustedProxies(cidrs: readonly string[]): TrustCheck {
  if (cidrs.length === 0) return NEVER;
  const list = new BlockList();
  for (const entry of cidrs) {
    const slash = entry.indexOf("/");
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const family = isIP(address);
    if (family === 0) throw new Error(`trusted_proxies: "${entry}" is not an IP address or CIDR range`);
    const type = family === 4 ? "ipv4" : "ipv6";
    const max = family === 4 ? 32 : 128;
    const bitsText = slash === -1 ? String(max) : entry.slice(slash + 1);
    const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : Number.NaN;
    if (!(bits >= 0 && bits <= max)) {
      throw new Error(`trusted_proxies: "${entry}" has a prefix length outside 0-${max}`);
    }
    list.addSubnet(address, bits, type);
  }
  return (address) => {
    const family = isIP(address);
    if (family === 0) return false;
    return list.check(address, family === 4 ? "ipv4" : "ipv6");
  };
}
