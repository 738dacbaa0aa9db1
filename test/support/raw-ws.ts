import WebSocket from 'ws';
import { PROTOCOL_VERSION, Reply, type RequestId } from '../../protocol';
import { waitFor } from './wait';

/** A frame as the agent sent it, before any validation. */
export type RawFrame = Record<string, unknown>;

/** What the agent did with an upgrade: the HTTP status and body it answered, and whether a socket ever opened. */
export interface UpgradeOutcome {
  status: number;
  body: string;
  opened: boolean;
}

/** Attempts a WebSocket upgrade with `headers` and reports how it ended, once the socket is closed for good. */
export function attemptUpgrade(url: string, headers: Record<string, string>): Promise<UpgradeOutcome> {
  const ws = new WebSocket(url, { headers });
  let opened = false;
  let status = 0;
  let body = '';
  ws.on('open', () => {
    opened = true;
    ws.terminate();
  });
  // Aborting a handshake emits an error; the outcome is read from the response, not from it.
  ws.on('error', () => undefined);
  ws.once('unexpected-response', (_req, res) => {
    status = res.statusCode ?? 0;
    res.on('data', (chunk: Buffer) => (body += chunk.toString()));
    res.on('end', () => ws.terminate());
  });
  return new Promise((resolve) => ws.once('close', () => resolve({ status, body, opened })));
}

/**
 * A WebSocket to the agent spoken by hand, to send what no well-behaved client would. Frames are
 * buffered as they arrive; `next` takes the first one that matches.
 */
export class RawConnection {
  private readonly frames: RawFrame[] = [];
  private closeInfo: { code: number; reason: string } | null = null;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.frames.push(JSON.parse(data.toString('utf8')) as RawFrame));
    ws.on('close', (code, reason) => (this.closeInfo = { code, reason: reason.toString() }));
    ws.on('error', () => undefined);
  }

  /** Opens an authenticated connection without shaking hands. */
  static open(url: string, token: string): Promise<RawConnection> {
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawConnection(ws)));
      ws.once('error', reject);
    });
  }

  /** Opens a connection and completes the handshake. */
  static async greeted(url: string, token: string): Promise<RawConnection> {
    const connection = await RawConnection.open(url, token);
    connection.send({ hello: { protocol: PROTOCOL_VERSION, client: 't' } });
    await connection.next('the welcome', (frame) => 'welcome' in frame);
    return connection;
  }

  /** Sends text as it is, or anything else as JSON. */
  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Takes the first received frame that `match` accepts, waiting for it. */
  next(what: string, match: (frame: RawFrame) => boolean): Promise<RawFrame> {
    return waitFor(
      what,
      () => {
        const index = this.frames.findIndex(match);
        return index < 0 ? null : this.frames.splice(index, 1)[0];
      },
      10_000,
    );
  }

  /** Waits for the reply to request `id` (null: to an unreadable frame) and checks it has the protocol's shape. */
  async reply(id: RequestId | null): Promise<Reply> {
    return Reply.parse(
      await this.next(`the reply to request ${String(id)}`, (frame) => 'id' in frame && frame.id === id),
    );
  }

  /** Sends a request and returns its reply. */
  request(id: RequestId, method: string, params: unknown): Promise<Reply> {
    this.send({ id, method, params });
    return this.reply(id);
  }

  /** Resolves with the close code and reason once the agent has closed the connection. */
  closed(): Promise<{ code: number; reason: string }> {
    return waitFor('the connection to close', () => this.closeInfo, 10_000);
  }

  close(): void {
    this.ws.terminate();
  }
}
