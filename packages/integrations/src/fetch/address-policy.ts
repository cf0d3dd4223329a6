import ipaddr from 'ipaddr.js';

/**
 * Cloud metadata services, refused by address and by name even for an allowed host: they hand
 * out the machine's credentials to whoever asks from inside. Their ranges (link-local,
 * unique-local) are refused anyway; naming them keeps them refused if an operator allows a
 * range's host and makes the refusal say what was reached for.
 */
const METADATA_ADDRESSES = new Set(['169.254.169.254', 'fd00:ec2::254'].map((ip) => ipaddr.parse(ip).toNormalizedString()));
const METADATA_HOSTNAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

/** How a refusal names each ipaddr.js range (the article included); unknown ones read "a non-public (name)". */
const RANGE_WORDS: Record<string, string> = {
  private: 'a private',
  loopback: 'a loopback',
  linkLocal: 'a link-local',
  uniqueLocal: 'a unique-local',
  multicast: 'a multicast',
  unspecified: 'an unspecified',
  broadcast: 'a broadcast',
  carrierGradeNat: 'a carrier-grade NAT',
  reserved: 'a reserved',
  benchmarking: 'a benchmarking',
  deprecatedSiteLocal: 'a site-local',
  discard: 'a discard-only',
};

/** Global unicast IPv6 (2000::/3): anything outside it that ipaddr.js calls unicast (IPv4-compatible ::a.b.c.d, say) is not a public address either. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/** The IPv4 addresses an IPv6 address carries and is routed to: mapped, translated, NAT64, 6to4, Teredo (server and client). */
function embeddedIPv4(address: ipaddr.IPv6): { range: string; addresses: ipaddr.IPv4[] } | undefined {
  const range = address.range();
  const bytes = address.toByteArray();
  const v4 = (offset: number, flip = 0) => new ipaddr.IPv4(bytes.slice(offset, offset + 4).map((b) => b ^ flip));
  switch (range) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return { range, addresses: [v4(12)] };
    case 'rfc6052':
      // 64:ff9b::/96 embeds the address in its last 32 bits; the local-use 64:ff9b:1::/48
      // places it by the operator's prefix length, so it is read as its own (refused) range.
      return address.match(ipaddr.parseCIDR('64:ff9b::/96')) ? { range, addresses: [v4(12)] } : undefined;
    case '6to4':
      return { range, addresses: [v4(2)] };
    case 'teredo':
      return { range, addresses: [v4(4), v4(12, 0xff)] };
    default:
      return undefined;
  }
}

function ipv4Problem(address: ipaddr.IPv4): string | undefined {
  const range = address.range();
  return range === 'unicast' ? undefined : range;
}

/**
 * Why `ip` is not a public address a fetch may reach, as a phrase ("a private address 10.0.0.5",
 * "a loopback address ::ffff:7f00:1 (carries IPv4 127.0.0.1, as ipv4Mapped)"), or undefined
 * when it is public unicast. Everything but ipaddr.js's `unicast` range is refused; IPv6 forms
 * that carry an IPv4 address are judged by that address.
 */
export function nonPublicAddressProblem(ip: string): string | undefined {
  if (!ipaddr.isValid(ip)) return `an address ${JSON.stringify(ip)} that is not an IP address`;
  const address = ipaddr.parse(ip);
  if (address.kind() === 'ipv4') {
    const range = ipv4Problem(address as ipaddr.IPv4);
    return range && `${RANGE_WORDS[range] ?? `a non-public (${range})`} address ${address.toString()}`;
  }
  const v6 = address as ipaddr.IPv6;
  const embedded = embeddedIPv4(v6);
  if (embedded) {
    for (const inner of embedded.addresses) {
      const range = ipv4Problem(inner);
      if (range) return `${RANGE_WORDS[range] ?? `a non-public (${range})`} address ${v6.toString()} (carries IPv4 ${inner.toString()}, as ${embedded.range})`;
    }
    return undefined;
  }
  const range = v6.range();
  if (range !== 'unicast') return `${RANGE_WORDS[range] ?? `a non-public (${range})`} address ${v6.toString()}`;
  if (!v6.match(GLOBAL_UNICAST_V6)) return `a non-public address ${v6.toString()} (outside global unicast 2000::/3)`;
  return undefined;
}

/** True for a cloud metadata address, also when written inside an IPv6 address (::ffff:169.254.169.254). */
export function isMetadataAddress(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  const address = ipaddr.parse(ip);
  if (METADATA_ADDRESSES.has(address.toNormalizedString())) return true;
  const embedded = address.kind() === 'ipv6' ? embeddedIPv4(address as ipaddr.IPv6) : undefined;
  return embedded?.addresses.some((inner) => METADATA_ADDRESSES.has(inner.toNormalizedString())) ?? false;
}

/** True for a cloud metadata service's name (case and a trailing dot ignored). */
export function isMetadataHostname(hostname: string): boolean {
  return METADATA_HOSTNAMES.has(hostname.toLowerCase().replace(/\.$/, ''));
}
