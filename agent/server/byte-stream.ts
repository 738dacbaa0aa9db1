import {
  BUILD_CHUNK_BYTES,
  BerthError,
  EXEC_CHUNK_BYTES,
  EXEC_STDIN_WINDOW,
  type EventData,
  type ExecInput,
  type ExecResize,
  type RequestId,
} from '../../protocol';
import { EXEC_OUTPUT_WINDOW } from './limits';

/**
 * Bytes streamed with a request, both ways, with exec's frames and flow control (protocol/exec.ts):
 * `workspace.exec` streams a command's output and stdin through these, `workspace.backup` and
 * `workspace.restore` a backup file.
 */

/** What of its request's context a byte stream needs (HandlerContext has it). */
export interface StreamContext {
  requestId: RequestId | null;
  sendEvent<E extends 'workspace.exec.output' | 'workspace.exec.stdin'>(
    event: E,
    data: EventData<E>,
    onSent?: () => void,
  ): void;
  onInput(listener: (frame: ExecInput | ExecResize) => void): void;
  /** Sends bytes of the request's output as one binary frame (a backup's file). */
  sendBytes?(bytes: Buffer, onSent?: () => void): void;
  /** Receives the request's binary frames of bytes (a restore's file, any request's stdin). */
  onBytes?(listener: (bytes: Buffer) => void): void;
}

/** Where a request's output comes from: it can be paused while the client is behind. */
export interface OutputSource {
  onOutput(listener: (stream: 'stdout' | 'stderr', data: Buffer) => void): void;
  pause(): void;
  resume(): void;
}

/**
 * Sends `source`'s output to the client as `workspace.exec.output` events of at most
 * {@link EXEC_CHUNK_BYTES}, or with `asBytes` (stdout only: a backup's file) as binary frames of at
 * most {@link BUILD_CHUNK_BYTES}, pausing the source while more than {@link EXEC_OUTPUT_WINDOW} waits
 * to be written to the connection. Binary frames keep the bytes out of V8's heap: as base64 inside
 * JSON each chunk was two strings there, which grew the agent's young generation by ~40 MiB during a
 * backup (and cost base64 both ways).
 */
export function pumpOutput(source: OutputSource, ctx: StreamContext, requestId: RequestId, asBytes = false): void {
  let unsent = 0;
  let paused = false;
  const sent = (bytes: number) => () => {
    unsent -= bytes;
    if (paused && unsent <= EXEC_OUTPUT_WINDOW / 2) {
      paused = false;
      source.resume();
    }
  };
  source.onOutput((stream, data) => {
    const binary = asBytes && stream === 'stdout' && ctx.sendBytes !== undefined;
    const size = binary ? BUILD_CHUNK_BYTES : EXEC_CHUNK_BYTES;
    for (let at = 0; at < data.length; at += size) {
      const chunk = data.subarray(at, at + size);
      unsent += chunk.length;
      if (binary) {
        ctx.sendBytes?.(chunk, sent(chunk.length));
      } else {
        const event = { requestId, stream, data: chunk.toString('base64') };
        ctx.sendEvent('workspace.exec.output', event, sent(chunk.length));
      }
    }
    if (!paused && unsent > EXEC_OUTPUT_WINDOW) {
      paused = true;
      source.pause();
    }
  });
}

/** Where a request's input goes: `written` runs once the bytes are taken (then they are acknowledged). */
export interface InputSink {
  write(data: Buffer, written: () => void): void;
  end(): void;
  resize?(cols: number, rows: number): Promise<void>;
}

/**
 * The request's input and resize frames, from the moment the request is read: held until the sink
 * is attached, then written to it. Holds at most {@link EXEC_STDIN_WINDOW} bytes not yet written
 * (a client that sends more without waiting for acknowledgements fails the request).
 */
export class StdinRelay {
  private sink: InputSink | null = null;
  private held: Held[] = [];
  private received = 0;
  private written = 0;
  private resizing: Promise<void> = Promise.resolve();
  failure: BerthError | null = null;
  onFailure: () => void = () => undefined;

  constructor(private readonly ctx: StreamContext) {
    ctx.onInput((frame) =>
      this.take(
        'resize' in frame
          ? { size: frame.size }
          : { ...(frame.data ? { bytes: Buffer.from(frame.data, 'base64') } : {}), eof: frame.eof === true },
      ),
    );
    // The same bytes as binary frames (a restore's file): no base64, nothing in V8's heap.
    ctx.onBytes?.((bytes) => this.take({ bytes }));
  }

  private take(held: Held): void {
    if (this.failure) return;
    this.received += held.bytes?.length ?? 0;
    if (this.received - this.written > EXEC_STDIN_WINDOW) {
      this.failure = new BerthError(
        'invalid_params',
        `input came ${this.received - this.written} bytes ahead of what the agent had written (at most ${EXEC_STDIN_WINDOW}); wait for workspace.exec.stdin before sending more`,
      );
      this.held = [];
      return this.onFailure();
    }
    if (this.sink) this.deliver(this.sink, held);
    else this.held.push(held);
  }

  attach(sink: InputSink): void {
    this.sink = sink;
    for (const held of this.held) this.deliver(sink, held);
    this.held = [];
  }

  private deliver(sink: InputSink, held: Held): void {
    // A resize is an API call of its own: what follows it waits for it, so the command sees the
    // frames in the order the client sent them.
    this.resizing = this.resizing.then(() => this.write(sink, held));
  }

  private async write(sink: InputSink, { bytes, eof, size }: Held): Promise<void> {
    if (size) return sink.resize?.(size.cols, size.rows);
    if (bytes) {
      sink.write(bytes, () => {
        this.written += bytes.length;
        this.ctx.sendEvent('workspace.exec.stdin', { requestId: this.ctx.requestId ?? 0, bytes: this.written });
      });
    }
    if (eof) sink.end();
  }
}

/** An input or resize frame as the relay keeps it. */
interface Held {
  bytes?: Buffer;
  eof?: boolean;
  size?: { cols: number; rows: number };
}
