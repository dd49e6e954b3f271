/**
 * How many client addresses a pg_hba.conf rule admits. PGDSAT 5.6 treats a 0.0.0.0 (or ::)
 * mask as "any source" (critical) and a range of more than 65,536 addresses (wider than /16)
 * as too large (warning). For IPv6 a single /64 is an ordinary subnet, so only prefixes
 * shorter than /64 count as wide.
 */
export type AddressScope = 'any' | 'wide' | 'loopback' | 'narrow' | 'not_an_address';

const WIDEST_IPV4_PREFIX = 16; // PGDSAT 5.6: more than 65,536 addresses is too wide
const WIDEST_IPV6_PREFIX = 64;

export function addressScope(address: string | null, netmask: string | null): AddressScope {
  if (!address) return 'not_an_address';
  if (address === 'all') return 'any';
  if (!/^[0-9a-fA-F:.]+$/.test(address) || !netmask) return 'not_an_address'; // samehost, samenet, host names
  const ipv6 = address.includes(':');
  const prefix = prefixLength(netmask);
  if (prefix === null) return 'not_an_address';
  if (prefix === 0) return 'any';
  if (ipv6 ? prefix < WIDEST_IPV6_PREFIX : prefix < WIDEST_IPV4_PREFIX) return 'wide';
  if (isLoopback(address)) return 'loopback';
  return 'narrow';
}

/** pg_hba_file_rules gives the mask in address form: 255.255.0.0 → 16, ffff:ffff:: → 32. */
export function prefixLength(netmask: string): number | null {
  if (netmask.includes(':')) {
    const groups = expandIpv6(netmask);
    if (!groups) return null;
    return groups.reduce((bits, g) => bits + countOnes(g), 0);
  }
  const octets = netmask.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) return null;
  return octets.reduce((bits, o) => bits + countOnes(o), 0);
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === '0:0:0:0:0:0:0:1';
}

function countOnes(n: number): number {
  let bits = 0;
  for (let v = n; v > 0; v >>= 1) bits += v & 1;
  return bits;
}

function expandIpv6(text: string): number[] | null {
  const [head, tail, ...rest] = text.split('::');
  if (rest.length > 0) return null;
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return null;
  const groups = [...left, ...Array(tail === undefined ? 0 : missing).fill(0), ...right];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}
