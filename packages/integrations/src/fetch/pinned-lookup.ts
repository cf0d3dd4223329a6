import type { LookupFunction } from 'node:net';
import type { CheckedAddress } from './resolve-host';

/**
 * A `lookup` for net/tls.connect that answers every name with the addresses already checked,
 * never asking DNS again: a name that resolved to a public address at the check cannot
 * resolve to a private one by the time the socket connects (DNS rebinding). The hostname
 * still goes to TLS as SNI and to the server as Host, so certificates and virtual hosts work.
 */
export function pinnedLookup(addresses: readonly CheckedAddress[]): LookupFunction {
  return (hostname, options, callback) => {
    const family = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : undefined;
    const usable = family ? addresses.filter((a) => a.family === family) : addresses;
    const first = usable[0];
    if (!first) {
      const error: NodeJS.ErrnoException = Object.assign(new Error(`no checked IPv${family} address for ${hostname}`), { code: 'ENOTFOUND' });
      callback(error, '', 0);
    } else if (options.all) {
      callback(
        null,
        usable.map(({ address, family }) => ({ address, family })),
      );
    } else {
      callback(null, first.address, first.family);
    }
  };
}
