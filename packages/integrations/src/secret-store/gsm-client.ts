import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { PassThroughClient } from 'google-auth-library';

/**
 * The official Secret Manager client over its REST transport (google-gax `fallback`), the one
 * transport both Google and the loopback simulator (GsmSimulator) speak. With an endpoint
 * (http://127.0.0.1:PORT: the simulator or an emulator) it sends no credentials at all
 * (PassThroughClient adds no Authorization header, so nothing reaches a server that is not Google);
 * without one it reaches secretmanager.googleapis.com with Application Default Credentials.
 */
export function createGsmClient(endpoint?: string): SecretManagerServiceClient {
  if (!endpoint) return new SecretManagerServiceClient({ fallback: true });
  const url = new URL(endpoint);
  const protocol = url.protocol.replace(/:$/, '');
  return new SecretManagerServiceClient({
    fallback: true,
    apiEndpoint: url.hostname,
    port: Number(url.port || (protocol === 'https' ? 443 : 80)),
    protocol,
    // Node's own fetch: gaxios would otherwise import node-fetch dynamically, which Jest's CommonJS runtime cannot do.
    authClient: new PassThroughClient({ transporterOptions: { fetchImplementation: fetch } }),
  });
}
