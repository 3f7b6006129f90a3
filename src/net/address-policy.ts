import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Which network addresses the service may send requests to (report webhooks, provider APIs). A URL a
 * client gives must not make the service reach its own machine, its private network or a cloud metadata
 * endpoint (server-side request forgery): only globally routable unicast addresses are allowed, unless the
 * operator allows private ones, all of them or some hosts and ranges. Pure: no DNS here.
 */
export interface OutboundPolicy {
  /** Every address is allowed (tests and local development against loopback fakes). */
  allowPrivate: boolean;
  /** Host names allowed whatever they resolve to, lower case, no trailing dot. */
  allowedHosts: ReadonlySet<string>;
  /** Address ranges allowed although not public. */
  allowedRanges: ReadonlyArray<[ipaddr.IPv4 | ipaddr.IPv6, number]>;
}

export const STRICT_POLICY: OutboundPolicy = { allowPrivate: false, allowedHosts: new Set(), allowedRanges: [] };

/** Cloud metadata services: named apart because reaching one can leak the machine's credentials. */
const METADATA = new Set(['169.254.169.254', 'fd00:ec2::254']);

/** How ipaddr.js names the ranges, in words for an error message. */
const RANGE_WORDS: Record<string, string> = {
  unspecified: 'an unspecified address',
  loopback: 'a loopback address',
  private: 'a private address',
  uniqueLocal: 'a private (unique local) address',
  linkLocal: 'a link-local address',
  carrierGradeNat: 'a shared (carrier-grade NAT) address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
  benchmarking: 'a benchmarking address',
};

/** A bare IP address from a URL host ("[::1]" → "::1"), or null for a host name. */
export function ipLiteral(host: string): string | null {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return isIP(bare) ? bare : null;
}

function normalisedHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

/** Why `address` may not be reached, in words ("127.0.0.1 is a loopback address"), or null when it may. */
export function addressRefusal(address: string, policy: OutboundPolicy): string | null {
  if (policy.allowPrivate) return null;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // process() turns an IPv4-mapped IPv6 address (::ffff:127.0.0.1) into the IPv4 address it carries.
    parsed = ipaddr.process(address);
  } catch {
    return `${address} is not an IP address`;
  }
  for (const [network, bits] of policy.allowedRanges) {
    if (network.kind() === parsed.kind() && parsed.match(network, bits)) return null;
  }
  const range = parsed.range();
  if (range === 'unicast') return null;
  const shown = parsed.toString();
  if (METADATA.has(shown)) return `${shown} is a cloud metadata address`;
  return `${shown} is ${RANGE_WORDS[range] ?? `not a public address (${range})`}`;
}

/** The host is on the operator's allow-list by name, so whatever it resolves to may be reached. */
export function hostAllowedByName(host: string, policy: OutboundPolicy): boolean {
  return policy.allowPrivate || policy.allowedHosts.has(normalisedHost(host));
}

/** Why one entry of PRIVATE_URL_ALLOW_LIST is not a host name, IP address or CIDR range, or null. */
export function allowListEntryProblem(entry: string): string | null {
  if (entry.includes('/')) {
    // Node's isIP, not ipaddr.js: the latter also takes shorthand like 10.0.0/8, which reads as a mistake.
    const [address = '', bits = '', extra] = entry.split('/');
    const family = isIP(address);
    const valid = family !== 0 && extra === undefined && /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
    return valid ? null : `${entry} is not a CIDR range (e.g. 10.0.0.0/8)`;
  }
  if (isIP(entry)) return null;
  return /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i.test(entry)
    ? null
    : `${entry} is not a host name, IP address or CIDR range`;
}

/** The policy for the operator's settings; the allow-list entries were checked by allowListEntryProblem. */
export function outboundPolicy(allowPrivate: boolean, allowList: readonly string[]): OutboundPolicy {
  const allowedHosts = new Set<string>();
  const allowedRanges: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [];
  for (const entry of allowList) {
    if (entry.includes('/')) allowedRanges.push(ipaddr.parseCIDR(entry));
    else if (isIP(entry)) {
      const address = ipaddr.process(entry);
      allowedRanges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else allowedHosts.add(normalisedHost(entry));
  }
  return { allowPrivate, allowedHosts, allowedRanges };
}
