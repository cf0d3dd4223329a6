import { once } from 'node:events';
import net from 'node:net';

/** One client connection through the proxy, with the first bytes the client sent (its request head). */
export interface ProxiedConnection {
  request: string;
  client: net.Socket;
  upstream: net.Socket;
}

/**
 * A loopback TCP proxy in front of the API that can break connections the way a network
 * does: cutAll() destroys every live connection mid-stream; dropAnswers(n) lets the next n
 * requests reach the server and destroys their connections as the answer starts, so the
 * client never sees it.
 */
export class TcpProxy {
  readonly connections: ProxiedConnection[] = [];
  private answersToDrop = 0;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (client: net.Socket) => proxy.accept(client, targetPort));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private accept(client: net.Socket, targetPort: number): void {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const connection: ProxiedConnection = { request: '', client, upstream };
    this.connections.push(connection);
    let dropping = false;
    client.on('data', (chunk: Buffer) => {
      if (connection.request === '') {
        connection.request = chunk.toString('latin1');
        if (this.answersToDrop > 0) {
          this.answersToDrop -= 1;
          dropping = true;
        }
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (dropping) return this.destroy(connection);
      client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  }

  private destroy(connection: ProxiedConnection): void {
    connection.client.destroy();
    connection.upstream.destroy();
  }

  /** Breaks every open connection, as a network failure would. */
  cutAll(): void {
    for (const connection of this.connections) this.destroy(connection);
  }

  /** The next n requests reach the server, and their connections break as the answer starts. */
  dropAnswers(n: number): void {
    this.answersToDrop = n;
  }

  /** The connections whose request line starts with this (e.g. "GET /api/v1/tasks/<id>/events"). */
  requests(start: string): ProxiedConnection[] {
    return this.connections.filter((c) => c.request.startsWith(start));
  }

  async close(): Promise<void> {
    this.cutAll();
    this.server.close();
    await once(this.server, 'close');
  }
}
