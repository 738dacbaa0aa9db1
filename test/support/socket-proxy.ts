import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A byte-for-byte proxy from a Unix socket to the real Docker socket. Tests hand its path to the
 * agent (`--docker-socket`) and cut it to simulate losing the engine, without touching the engine
 * that other tests use.
 */
export class DockerSocketProxy {
  private server: net.Server | null = null;
  private readonly connections = new Set<net.Socket>();

  private constructor(
    readonly socketPath: string,
    private readonly target: string,
  ) {}

  static async start(target = '/var/run/docker.sock'): Promise<DockerSocketProxy> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-proxy-'));
    const proxy = new DockerSocketProxy(path.join(dir, 'docker.sock'), target);
    await proxy.up();
    return proxy;
  }

  /** Accepts connections and forwards them to the engine. */
  async up(): Promise<void> {
    await fs.rm(this.socketPath, { force: true });
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target);
      this.connections.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.connections.delete(client);
        this.connections.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(this.socketPath, resolve));
  }

  /** Cuts every open connection and refuses new ones, as a stopped engine would. */
  async down(): Promise<void> {
    for (const socket of this.connections) socket.destroy();
    this.connections.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await fs.rm(this.socketPath, { force: true });
  }
}
