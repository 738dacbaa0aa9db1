import * as net from 'node:net';

/**
 * A byte-for-byte TCP proxy on 127.0.0.1 in front of `target`. `cut()` destroys every connection it
 * carries (a lost network or a laptop that slept, as the client sees it) and keeps accepting new ones.
 */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  /** Connections accepted so far. */
  accepted = 0;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    let proxy: TcpProxy | null = null;
    const server = net.createServer((client) => {
      const upstream = net.connect(targetPort, targetHost);
      proxy?.track(client, upstream);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  /** Destroys every open connection. */
  cut(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(client: net.Socket, upstream: net.Socket): void {
    this.accepted++;
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', drop).on('close', drop);
    }
  }
}
