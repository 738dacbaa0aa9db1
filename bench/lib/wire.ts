import WebSocket from 'ws';
import { PROTOCOL_VERSION } from '../../protocol';

/**
 * A bare protocol connection that times a request until its reply frame arrives, without parsing or
 * validating it: the agent's share of a round trip, apart from what AgentClient does with the reply.
 */
export class WireClient {
  private nextId = 1;
  private closed = false;
  private readonly pending = new Set<(err: Error) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('close', () => {
      this.closed = true;
      for (const reject of this.pending) reject(new Error('the connection to the agent closed'));
    });
  }

  static async connect(url: string, token: string): Promise<WireClient> {
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` }, maxPayload: 64 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.once('open', () =>
        ws.send(JSON.stringify({ hello: { protocol: PROTOCOL_VERSION, client: 'berth-bench-wire' } })),
      );
      ws.once('message', () => resolve());
    });
    return new WireClient(ws);
  }

  /** Sends one request and resolves with the milliseconds until its reply arrived, and the reply frame. */
  roundTrip(method: string, params: unknown): Promise<{ ms: number; frame: Buffer }> {
    const id = this.nextId++;
    const prefix = `{"id":${id},`;
    if (this.closed) return Promise.reject(new Error('the connection to the agent closed'));
    return new Promise((resolve, reject) => {
      this.pending.add(reject);
      const onMessage = (data: WebSocket.RawData) => {
        const buffer = data as Buffer;
        if (buffer.subarray(0, prefix.length).toString('latin1') !== prefix) return;
        this.ws.off('message', onMessage);
        this.pending.delete(reject);
        resolve({ ms: performance.now() - t0, frame: buffer });
      };
      this.ws.on('message', onMessage);
      const t0 = performance.now();
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.ws.close();
  }
}
