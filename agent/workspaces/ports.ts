import * as net from 'node:net';
import { BerthError } from '../../protocol';
import type { PortRange } from '../config';

export type { PortRange };

/** Parses `2200-2399` into a range, with a clear error for anything else. */
export function parsePortRange(text: string): PortRange {
  const match = /^(\d+)-(\d+)$/.exec(text.trim());
  const first = Number(match?.[1]);
  const last = Number(match?.[2]);
  if (!match || first < 1 || last > 65535 || first > last) {
    throw new Error(`--ports ${text}: expected a range such as 2200-2399 within 1-65535`);
  }
  return { first, last };
}

/**
 * Hands out SSH ports from the host's range. A port belongs to a workspace from creation to deletion
 * (so its SSH config never changes), or until it is archived; `taken` is read from the store each time, so there is no second
 * copy of the truth to drift. Ports another process already listens on are skipped.
 */
export class PortAllocator {
  constructor(
    readonly range: PortRange,
    private readonly host = '127.0.0.1',
  ) {}

  /** Size of the range. */
  get size(): number {
    return this.range.last - this.range.first + 1;
  }

  /**
   * The lowest free port not in `taken`, checked to be bindable on the host; `reserve` must be called
   * synchronously by the caller with the result before yielding, so two creates never get the same port.
   */
  async allocate(taken: ReadonlySet<number>): Promise<number> {
    for (let port = this.range.first; port <= this.range.last; port++) {
      if (taken.has(port)) continue;
      if (await this.bindable(port)) return port;
    }
    throw new BerthError(
      'no_capacity',
      `all ${this.size} SSH ports (${this.range.first}-${this.range.last}) are assigned or in use; delete a workspace or start the agent with a wider --ports range`,
      { resource: 'ssh-port', first: this.range.first, last: this.range.last },
    );
  }

  /** Whether `port` lies in the range and nothing listens on it (the caller checks the store). */
  async free(port: number): Promise<boolean> {
    return port >= this.range.first && port <= this.range.last && this.bindable(port);
  }

  private bindable(port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen({ port, host: this.host, exclusive: true }, () => server.close(() => resolve(true)));
    });
  }
}
