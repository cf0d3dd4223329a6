import { isMetadataAddress, isMetadataHostname, nonPublicAddressProblem } from '../src';

describe('nonPublicAddressProblem', () => {
  it.each([
    ['0.0.0.0', 'an unspecified address'],
    ['10.0.0.5', 'a private address 10.0.0.5'],
    ['172.16.3.4', 'a private address'],
    ['192.168.1.1', 'a private address'],
    ['127.0.0.1', 'a loopback address'],
    ['127.255.0.9', 'a loopback address'],
    ['169.254.1.1', 'a link-local address'],
    ['100.64.0.1', 'a carrier-grade NAT address'],
    ['198.18.0.1', 'a reserved address'], // benchmarking
    ['192.0.2.1', 'a reserved address'],
    ['192.0.0.8', 'a reserved address'],
    ['240.0.0.1', 'a reserved address'],
    ['224.0.0.1', 'a multicast address'],
    ['255.255.255.255', 'a broadcast address'],
    ['::', 'an unspecified address'],
    ['::1', 'a loopback address'],
    ['fe80::1', 'a link-local address'],
    ['fc00::1', 'a unique-local address'],
    ['fd00::1', 'a unique-local address'],
    ['ff02::1', 'a multicast address'],
    ['fec0::1', 'a site-local address'],
    ['100::1', 'a discard-only address'],
    ['2001:db8::1', 'a reserved address'],
    ['2001:2::1', 'a benchmarking address'],
    ['::7f00:1', 'outside global unicast'], // IPv4-compatible ::127.0.0.1
    ['::ffff:10.0.0.1', 'a private address ::ffff:a00:1 (carries IPv4 10.0.0.1, as ipv4Mapped)'],
    ['::ffff:0:7f00:1', 'a loopback address ::ffff:0:7f00:1 (carries IPv4 127.0.0.1, as rfc6145)'],
    ['64:ff9b::a00:1', 'a private address 64:ff9b::a00:1 (carries IPv4 10.0.0.1, as rfc6052)'],
    ['64:ff9b:1::1', 'a non-public (rfc6052) address'],
    ['2002:c0a8:101::1', 'a private address 2002:c0a8:101::1 (carries IPv4 192.168.1.1, as 6to4)'],
    // Teredo: server 65.54.227.120, client 10.0.0.1 stored inverted (f5ff:fffe).
    ['2001:0:4136:e378:8000:63bf:f5ff:fffe', 'carries IPv4 10.0.0.1, as teredo'],
    ['2001:0:a00:1:8000:63bf:a2c9:1ccb', 'carries IPv4 10.0.0.1, as teredo'], // private Teredo server
  ])('refuses %s', (ip, phrase) => {
    expect(nonPublicAddressProblem(ip)).toContain(phrase);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '1.1.1.1',
    '2606:2800:220:1:248:1893:25c8:1946',
    '2a00:1450:4001:82b::200e',
    '::ffff:93.184.216.34',
    '64:ff9b::5db8:d822',
    '2002:5db8:d822::1',
    '2001:0:4136:e378:8000:63bf:a247:29cb',
  ])('accepts the public address %s', (ip) => {
    expect(nonPublicAddressProblem(ip)).toBeUndefined();
  });

  it('refuses what is not an address', () => {
    expect(nonPublicAddressProblem('localhost')).toMatch(/not an IP address/);
  });
});

describe('cloud metadata', () => {
  it.each(['169.254.169.254', 'fd00:ec2::254', 'fd00:ec2:0::254', '::ffff:169.254.169.254'])('knows the address %s', (ip) => {
    expect(isMetadataAddress(ip)).toBe(true);
  });

  it.each(['169.254.169.253', '93.184.216.34', 'fd00:ec2::253'])('does not mistake %s for it', (ip) => {
    expect(isMetadataAddress(ip)).toBe(false);
  });

  it.each(['metadata.google.internal', 'METADATA.GOOGLE.INTERNAL.', 'metadata.goog', 'metadata'])('knows the name %s', (name) => {
    expect(isMetadataHostname(name)).toBe(true);
  });

  it('does not flag an ordinary name', () => {
    expect(isMetadataHostname('metadata.example.com')).toBe(false);
  });
});
