import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP server of a simulator: listens on host:port (0: any free port) and resolves once it
 * does, or rejects when it cannot (EADDRINUSE when the port is taken); close() drops open
 * connections (keep-alive clients included) and waits for the server to stop.
 */
export async function listenLoopback(
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
  port: number,
  host: string,
): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
