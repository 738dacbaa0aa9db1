import * as net from 'node:net';
import { freePort } from './agent-process';

/** Binds 127.0.0.1:`port` the way another program would; close the server to free it. */
export function holdPort(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

/** Closes a server made by {@link holdPort}. */
export function release(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** `size` consecutive loopback ports that are all free right now. */
export async function freePortRange(size: number): Promise<{ first: number; last: number }> {
  for (;;) {
    const first = await freePort();
    if (first + size - 1 > 65535) continue;
    const held: net.Server[] = [];
    try {
      for (let port = first; port < first + size; port++) held.push(await holdPort(port));
      return { first, last: first + size - 1 };
    } catch {
      // One of them is taken: try another place.
    } finally {
      await Promise.all(held.map(release));
    }
  }
}
