import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { PassThroughClient } from 'google-auth-library';
import { loggingUtils } from 'google-gax';

/**
 * The official Secret Manager client over its REST transport (google-gax `fallback`), the one
 * transport both Google and the loopback simulator (GsmSimulator) speak. With an endpoint
 * (http://127.0.0.1:PORT: the simulator or an emulator) it sends no credentials at all
 * (PassThroughClient adds no Authorization header, so nothing reaches a server that is not Google);
 * without one it reaches secretmanager.googleapis.com with Application Default Credentials.
 */
export function createGsmClient(endpoint?: string): SecretManagerServiceClient {
  silenceGoogleDebugLog();
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

/**
 * The Google SDKs' own debug log (on when GOOGLE_SDK_NODE_LOGGING is set, as for debugging a
 * connection) writes every Secret Manager request and answer whole to stderr: the secret's
 * bytes on each access and each new version, and an error answer's body. It is switched off for
 * the whole process (its only Google SDK is this client; the apps log through winston), before
 * the client makes its loggers, whatever the environment says.
 */
function silenceGoogleDebugLog(): void {
  loggingUtils.setBackend(null);
}
