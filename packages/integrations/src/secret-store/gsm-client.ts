import type { SecretManagerServiceClient } from '@google-cloud/secret-manager';

// The Google SDK (google-gax, protobufjs, gRPC) is loaded when a store with Secret Manager is
// made, not when this package is imported: loading it costs an app ~0.5 s of CPU at start, and
// every app that imports @conveyor/integrations would pay it whether it reads Secret Manager or not.
/* eslint-disable @typescript-eslint/no-require-imports */
const googleSdk = () => ({
  secretManager: require('@google-cloud/secret-manager') as typeof import('@google-cloud/secret-manager'),
  auth: require('google-auth-library') as typeof import('google-auth-library'),
  gax: require('google-gax') as typeof import('google-gax'),
});
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * The official Secret Manager client over its REST transport (google-gax `fallback`), the one
 * transport both Google and the loopback simulator (GsmSimulator) speak. With an endpoint
 * (http://127.0.0.1:PORT: the simulator or an emulator) it sends no credentials at all
 * (PassThroughClient adds no Authorization header, so nothing reaches a server that is not Google);
 * without one it reaches secretmanager.googleapis.com with Application Default Credentials.
 */
export function createGsmClient(endpoint?: string): SecretManagerServiceClient {
  const sdk = googleSdk();
  silenceGoogleDebugLog(sdk.gax);
  const { SecretManagerServiceClient: Client } = sdk.secretManager;
  if (!endpoint) return new Client({ fallback: true });
  const url = new URL(endpoint);
  const protocol = url.protocol.replace(/:$/, '');
  return new Client({
    fallback: true,
    apiEndpoint: url.hostname,
    port: Number(url.port || (protocol === 'https' ? 443 : 80)),
    protocol,
    // Node's own fetch: gaxios would otherwise import node-fetch dynamically, which Jest's CommonJS runtime cannot do.
    authClient: new sdk.auth.PassThroughClient({ transporterOptions: { fetchImplementation: fetch } }),
  });
}

/**
 * The Google SDKs' own debug log (on when GOOGLE_SDK_NODE_LOGGING is set, as for debugging a
 * connection) writes every Secret Manager request and answer whole to stderr: the secret's
 * bytes on each access and each new version, and an error answer's body. It is switched off for
 * the whole process (its only Google SDK is this client; the apps log through winston), before
 * the client makes its loggers, whatever the environment says.
 */
function silenceGoogleDebugLog(gax: typeof import('google-gax')): void {
  gax.loggingUtils.setBackend(null);
}
