import dns from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { env } from '../env.js';

/**
 * A channel URL is chosen by an API caller, and the service then sends requests from inside its own
 * network: without this guard a channel could reach the cloud metadata endpoint, the service's
 * database or anything else only the service can reach (SSRF). Addresses are checked when a channel
 * is saved and again on every connection, against the address actually connected to, so a name
 * that resolved to a public address when saved and to 169.254.169.254 later (DNS rebinding) is refused.
 */

const refusedRanges: Array<[cidr: string, kind: string]> = [
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared (carrier-grade NAT)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local (cloud metadata)'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'reserved'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b::/96', 'NAT64'],
  ['fc00::/7', 'private (cloud metadata)'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
];

const family = (address: string) => (isIP(address) === 6 ? 'ipv6' : 'ipv4');

const refused = refusedRanges.map(([cidr, kind]) => {
  const [base, prefix] = cidr.split('/');
  const list = new BlockList();
  list.addSubnet(base, Number(prefix), family(base));
  return { list, kind, family: family(base) };
});

const LOCAL_DEFAULT = '127.0.0.0/8,::1/128';

export class DestinationRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DestinationRefused';
  }
}

function blockListOf(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/');
    if (!isIP(address)) throw new Error(`NOTIFICATION_ALLOWED_NETWORKS: "${entry}" is not an address or CIDR`);
    if (prefix === undefined) list.addAddress(address, family(address));
    else list.addSubnet(address, Number(prefix), family(address));
  }
  return list;
}

let allowed: BlockList | undefined;

/** Unset: loopback on a developer machine, nothing on a deployed stage. `none` allows nothing anywhere. */
function allowedNetworks(): BlockList {
  if (!allowed) {
    const deployed = env().AWS_LAMBDA_RUNTIME_API !== undefined;
    const setting = env().NOTIFICATION_ALLOWED_NETWORKS ?? (deployed ? 'none' : LOCAL_DEFAULT);
    const entries =
      setting.trim() === 'none'
        ? []
        : setting
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
    allowed = blockListOf(entries);
  }
  return allowed;
}

// ::ffff:a.b.c.d reaches the IPv4 address a.b.c.d: judge it as that.
const unmapped = (address: string) => address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');

/** Why a connection to `address` over `protocol` is refused, or null when it may go ahead. */
export function refusalFor(address: string, protocol: string): string | null {
  const ip = unmapped(address);
  if (allowedNetworks().check(ip, family(ip))) return null;
  for (const range of refused) {
    if (range.family === family(ip) && range.list.check(ip, range.family))
      return (
        `${ip} is a ${range.kind} address; a channel must reach a public address (or one listed in ` +
        'NOTIFICATION_ALLOWED_NETWORKS)'
      );
  }
  if (/^::ffff:/i.test(ip)) return `${ip} is an IPv4-mapped address; use the IPv4 address`;
  if (protocol !== 'https:') return 'a channel URL on a public address must use https';
  return null;
}

const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** Checks every address the URL's host resolves to now; throws DestinationRefused with the reason. */
export async function checkDestination(url: URL): Promise<void> {
  const host = hostOf(url);
  const addresses = isIP(host) ? [host] : await resolveAll(host);
  for (const address of addresses) {
    const refusal = refusalFor(address, url.protocol);
    if (refusal) throw new DestinationRefused(`The URL's host ${isIP(host) ? '' : `${host} resolves to `}${refusal}`);
  }
}

async function resolveAll(host: string): Promise<string[]> {
  try {
    return (await dns.promises.lookup(host, { all: true })).map((a) => a.address);
  } catch {
    throw new DestinationRefused(`The URL's host ${host} could not be resolved`);
  }
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for http.request that refuses the connection when any address of the host is refused:
 * the check and the connection use the same answer, so DNS cannot change in between.
 */
export function guardedLookup(protocol: string) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const refused = addresses.map((a) => refusalFor(a.address, protocol)).find((r) => r !== null);
      if (refused)
        return callback(
          Object.assign(new DestinationRefused(`${hostname} resolves to ${refused}`), { code: 'EREFUSED_DESTINATION' }),
          '',
        );
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** The host as an IP literal, when it is one: no lookup happens for it, so it is checked before connecting. */
export function literalAddress(url: URL): string | null {
  const host = hostOf(url);
  return isIP(host) ? host : null;
}
