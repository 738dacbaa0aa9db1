import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { PROTOCOL_VERSION } from '../../protocol';
import { waitFor } from './wait';

/** A WebSocket frame as the agent sent it. */
export interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

/** One masked client text frame (RFC 6455 5.2), so that many can go out in a single TCP write. */
export function encodeFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const length = payload.length;
  const header =
    length < 126
      ? Buffer.from([0x81, 0x80 | length])
      : length < 65536
        ? Buffer.from([0x81, 0x80 | 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([0x81, 0x80 | 127]), bigEndian64(length)]);
  const mask = randomBytes(4);
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([header, mask, masked]);
}

function bigEndian64(n: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64BE(BigInt(n));
  return buffer;
}

/**
 * A TCP connection to the agent spoken byte by byte: it can stall anywhere in the HTTP request,
 * stop reading (`pause`) while it sends, and never close its side (half-open), as an attacker would.
 */
export class RawSocket {
  private received = Buffer.alloc(0);
  private upgraded = false;
  private readonly parsed: ServerFrame[] = [];
  /** Set once the agent has ended its side (FIN) or the connection broke. */
  ended = false;
  /** Set once the socket is fully closed. */
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => (this.ended = true));
    socket.on('close', () => {
      this.ended = true;
      this.closed = true;
    });
    socket.on('error', () => undefined);
  }

  /** Opens a TCP connection that stays half-open when the agent ends its side. */
  static connect(port: number): Promise<RawSocket> {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(new RawSocket(socket)));
      socket.once('error', reject);
    });
  }

  /** The HTTP request of a WebSocket upgrade with `token`, complete unless cut short by the caller. */
  static upgradeRequest(port: number, token: string): string {
    return [
      'GET / HTTP/1.1',
      `Host: 127.0.0.1:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      `Authorization: Bearer ${token}`,
      '',
      '',
    ].join('\r\n');
  }

  /** Connects, upgrades with `token` and shakes hands: a session, spoken by hand from now on. */
  static async greeted(port: number, token: string): Promise<RawSocket> {
    const raw = await RawSocket.connect(port);
    raw.write(RawSocket.upgradeRequest(port, token));
    await waitFor('the upgrade to be answered', () => raw.upgraded || raw.ended, 10_000);
    if (!raw.upgraded) throw new Error(`upgrade refused: ${raw.received.toString()}`);
    raw.sendFrames([JSON.stringify({ hello: { protocol: PROTOCOL_VERSION, client: 'raw' } })]);
    await waitFor('the welcome', () => raw.frames().some((text) => 'welcome' in text), 10_000);
    return raw;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Sends `texts` as text frames in one TCP write: the agent reads them in as few chunks as the kernel allows. */
  sendFrames(texts: string[]): void {
    this.socket.write(Buffer.concat(texts.map(encodeFrame)));
  }

  /** Stops reading: what the agent sends piles up in the kernel, then in the agent. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** The JSON text frames received so far, parsed. */
  frames(): Record<string, unknown>[] {
    return this.parsed
      .filter((frame) => frame.opcode === 1)
      .map((frame) => JSON.parse(frame.payload.toString('utf8')) as Record<string, unknown>);
  }

  /** The agent's close frame, once received. */
  closeFrame(): { code: number; reason: string } | null {
    const frame = this.parsed.find((f) => f.opcode === 8);
    if (!frame) return null;
    return { code: frame.payload.readUInt16BE(0), reason: frame.payload.subarray(2).toString('utf8') };
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.received = Buffer.concat([this.received, chunk]);
    if (!this.upgraded) {
      const end = this.received.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (!this.received.subarray(0, end).toString().startsWith('HTTP/1.1 101')) return;
      this.upgraded = true;
      this.received = this.received.subarray(end + 4);
    }
    this.parseFrames();
  }

  private parseFrames(): void {
    for (;;) {
      const buffer = this.received;
      if (buffer.length < 2) return;
      let length = buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffer.length < 4) return;
        length = buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffer.length < 10) return;
        length = Number(buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (buffer.length < offset + length) return;
      this.parsed.push({ opcode: buffer[0]! & 0x0f, payload: Buffer.from(buffer.subarray(offset, offset + length)) });
      this.received = buffer.subarray(offset + length);
    }
  }
}
