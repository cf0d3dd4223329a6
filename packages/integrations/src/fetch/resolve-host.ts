import dns from 'node:dns';
import ipaddr from 'ipaddr.js';
import { isMetadataAddress, isMetadataHostname, nonPublicAddressProblem } from './address-policy';
import { FetchRefusedError, UnsafeUrlError } from './fetch-errors';
import { describeUrl } from './url-policy';

/** An address a host resolved to and passed the checks: the only one a connection may go to. */
export interface CheckedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * Every address of a hostname, as `dns.promises.lookup(hostname, { all: true })` gives them.
 * A seam for tests, which answer without DNS (a public address, then a private one on the
 * next call, to show the connection never asks again); production uses the system resolver.
 */
export type HostResolver = (hostname: string) => Promise<readonly { address: string; family: number }[]>;

export const systemResolver: HostResolver = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

/** DNS answers that another attempt will not change: the name does not exist or has no address. */
const PERMANENT_DNS_CODES = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA']);

/** Rejects with the signal's reason once it aborts, so a hanging resolver does not outlive the fetch's time limit. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function addressesOf(url: URL, resolve: HostResolver, signal: AbortSignal): Promise<readonly { address: string; family: number }[]> {
  const bare = url.hostname.replace(/^\[|\]$/g, '');
  // The URL parser has already turned 2130706433, 0x7f.1 and the like into dotted form.
  if (ipaddr.isValid(bare)) return [{ address: bare, family: ipaddr.parse(bare).kind() === 'ipv4' ? 4 : 6 }];
  try {
    return await untilAborted(resolve(url.hostname), signal);
  } catch (error) {
    if (signal.aborted) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    const permanent = PERMANENT_DNS_CODES.has(code);
    throw new FetchRefusedError(`${describeUrl(url)}: host ${url.hostname} does not resolve (${code})`, 'dns', permanent, undefined, { cause: error });
  }
}

/**
 * Resolves the URL's host and checks every address it gets: one cloud metadata address, or
 * (unless the operator allowed the host) one non-public address, refuses the whole URL, since
 * a client may connect to any of them. Returns the addresses to pin the connection to.
 */
export async function checkedAddresses(url: URL, allowedHost: boolean, resolve: HostResolver, signal: AbortSignal): Promise<CheckedAddress[]> {
  if (isMetadataHostname(url.hostname)) throw new UnsafeUrlError(`${describeUrl(url)} names a cloud metadata service`, 'metadata');
  const found = await addressesOf(url, resolve, signal);
  if (found.length === 0) throw new FetchRefusedError(`${describeUrl(url)}: host ${url.hostname} has no address`, 'dns', true);
  const checked: CheckedAddress[] = [];
  for (const { address } of found) {
    if (isMetadataAddress(address)) throw new UnsafeUrlError(`${describeUrl(url)} resolves to the cloud metadata address ${address}`, 'metadata');
    const problem = allowedHost ? undefined : nonPublicAddressProblem(address);
    if (problem) throw new UnsafeUrlError(`${describeUrl(url)} resolves to ${problem}`, 'private_address');
    if (!ipaddr.isValid(address))
      throw new FetchRefusedError(`${describeUrl(url)}: host ${url.hostname} resolved to ${JSON.stringify(address)}, not an IP address`, 'dns', true);
    const parsed = ipaddr.parse(address);
    checked.push({ address: parsed.toString(), family: parsed.kind() === 'ipv4' ? 4 : 6 });
  }
  return checked;
}
