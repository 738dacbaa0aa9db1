import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** A container create request as the agent sent it (before the proxy changed anything). */
export interface RecordedCreate {
  name: string;
  body: {
    Env?: string[];
    HostConfig?: { DeviceRequests?: Record<string, unknown>[] } & Record<string, unknown>;
  } & Record<string, unknown>;
}

/**
 * An HTTP proxy between the agent and the Docker socket for GPU tests on machines without the NVIDIA
 * runtime. It records every `POST /containers/create` body, then removes `HostConfig.DeviceRequests`
 * before forwarding it, so real containers still run and tests assert on exactly what the agent
 * asked for. With `defaultRuntime` set, it rewrites `GET /info`'s `DefaultRuntime`, to show an
 * engine whose default runtime is nvidia. Everything else (event streams, logs) passes through.
 */
export class RecordingDockerProxy {
  readonly creates: RecordedCreate[] = [];
  /** When set, `GET /info` reports this as Docker's default runtime. */
  defaultRuntime: string | undefined;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    readonly socketPath: string,
    private readonly target: string,
    private readonly server: http.Server,
  ) {}

  static async start(target = '/var/run/docker.sock'): Promise<RecordingDockerProxy> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-recording-proxy-'));
    const server = http.createServer();
    const proxy = new RecordingDockerProxy(path.join(dir, 'docker.sock'), target, server);
    server.on('request', (req, res) => void proxy.handle(req, res));
    server.on('connection', (socket) => {
      proxy.sockets.add(socket);
      socket.on('close', () => proxy.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(proxy.socketPath, resolve));
    return proxy;
  }

  /** The recorded create of the container of workspace `id`. */
  createOf(id: string): RecordedCreate | undefined {
    return this.creates.filter((create) => create.name === `berth-${id}`).pop();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://docker');
    const route = url.pathname.replace(/^\/v[\d.]+/, '');
    const headers = { ...req.headers };
    let body: Buffer | null = null;
    if (req.method === 'POST' && route === '/containers/create') {
      const original = JSON.parse((await readAll(req)).toString('utf8') || '{}') as RecordedCreate['body'];
      this.creates.push({ name: url.searchParams.get('name') ?? '', body: structuredClone(original) });
      delete original.HostConfig?.DeviceRequests;
      body = Buffer.from(JSON.stringify(original));
      delete headers['transfer-encoding'];
      headers['content-length'] = String(body.length);
    }
    const rewriteInfo = req.method === 'GET' && route === '/info' && this.defaultRuntime !== undefined;
    const upstream = http.request({ socketPath: this.target, method: req.method, path: req.url, headers }, (upRes) => {
      if (!rewriteInfo) {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        // Streams such as /events send no body until something happens: the client must see the headers now.
        res.flushHeaders();
        upRes.pipe(res);
        return;
      }
      void readAll(upRes).then((raw) => {
        const info = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
        info.DefaultRuntime = this.defaultRuntime;
        const text = JSON.stringify(info);
        const headers = { ...upRes.headers, 'content-length': String(Buffer.byteLength(text)) };
        delete headers['transfer-encoding'];
        res.writeHead(upRes.statusCode ?? 200, headers);
        res.end(text);
      });
    });
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    if (body) upstream.end(body);
    else req.pipe(upstream);
  }
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
