export { safeFetch, checkFetchableUrl, type SafeFetchOptions, type SafeFetchResult } from './safe-fetch';
export { SafeFetchError, UnsafeUrlError, FetchRefusedError, type FetchRefusalReason } from './fetch-errors';
export { registerFetchMetrics } from './fetch-metrics';
export { nonPublicAddressProblem, isMetadataAddress, isMetadataHostname } from './address-policy';
export type { HostResolver } from './resolve-host';
