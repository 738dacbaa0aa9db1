import type { createConnection as netCreateConnection } from 'node:net';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import {
  BerthError,
  CLOSE_TOKEN_REVOKED,
  MAX_FRAME_BYTES,
  METHODS,
  PROTOCOL_VERSION,
  ServerFrame,
  BYTES_FRAME_TAG,
  bytesFrameHeader,
  describeIssues,
  parseEvent,
  type ErrorCode,
  type ExecInput,
  type ExecResize,
  type TerminalSize,
  type EventData,
  type EventName,
  type MethodName,
  type ParamsInput,
  type Result,
  type Welcome,
} from '../protocol';
import { errorMessage } from '../util/log';

/** The text of a WebSocket message, whatever form `ws` delivers it in. */
function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return (Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
}

/** A validated event as a listener receives it. */
export type ClientEvent = { [E in EventName]: { event: E; data: EventData<E> } }[EventName];

interface Pending {
  method: MethodName;
  onLog?: ((text: string) => void) | undefined;
  onProgress?: ((progress: EventData<'workspace.progress'>) => void) | undefined;
  onExec?: ((event: ExecEvent) => void) | undefined;
  onBytes?: ((bytes: Buffer) => void) | undefined;
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
}

/** How `AgentClient.connect` reaches the agent. */
export interface ConnectOptions {
  /**
   * Opens the byte stream to the agent (an SSH channel, say) instead of a TCP connection to the
   * URL's host and port; the URL still names the agent (its Host header).
   */
  stream?: () => Promise<Duplex>;
}

/** Options of one request. */
export interface RequestOptions {
  /** Aborting sends a cancel frame; the request then settles with the agent's answer (usually `cancelled`). */
  signal?: AbortSignal;
  /** Receives the `workspace.log` output of this request (a followed `workspace.logs`). */
  onLog?: (text: string) => void;
  /** Receives the `workspace.progress` phases of this request only (not other clients' operations). */
  onProgress?: (progress: EventData<'workspace.progress'>) => void;
  /** Receives the output and stdin acknowledgements of this request (a `workspace.exec`). */
  onExec?: (event: ExecEvent) => void;
  /** Receives the bytes the agent sends this request in binary frames (a `workspace.backup`'s file). */
  onBytes?: (bytes: Buffer) => void;
  /** Called with the request's id as it is sent (for {@link AgentClient.sendInput}). */
  onSent?: (id: number) => void;
}

/** An event of a running `workspace.exec`. */
export type ExecEvent = Extract<ClientEvent, { event: 'workspace.exec.output' | 'workspace.exec.stdin' }>;

/**
 * A protocol client over one WebSocket: the handshake, typed requests with validated replies,
 * cancellation, and events. Used by the CLI and the extension.
 */
export class AgentClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(event: ClientEvent) => void>();
  private readonly closeListeners = new Set<(reason: string, code: ErrorCode) => void>();
  private closedError: BerthError | null = null;
  /** Reading is paused ({@link pauseReading}): pongs are not read either, so the keepalive waits. */
  private paused = false;

  private constructor(
    private readonly ws: WebSocket,
    readonly welcome: Welcome,
    keepAliveMs: number,
  ) {
    ws.on('message', (data, isBinary) => (isBinary ? this.onBytes(data) : this.onFrame(rawText(data))));
    const keepAlive = keepAliveMs > 0 ? this.keepAlive(keepAliveMs) : null;
    ws.on('close', (code, reason) => {
      if (keepAlive) clearInterval(keepAlive);
      // A revoked token cannot come back by reconnecting: say so, as the upgrade would (`unauthorized`).
      this.closedError =
        code === CLOSE_TOKEN_REVOKED
          ? new BerthError('unauthorized', `the agent closed the connection: ${reason.toString()}`)
          : new BerthError(
              'internal',
              `the connection to the agent closed (${code}${reason.length ? `: ${reason.toString()}` : ''})`,
            );
      for (const pending of this.pending.values()) pending.reject(this.closedError);
      this.pending.clear();
      for (const listener of this.closeListeners) listener(this.closedError.message, this.closedError.code);
    });
    ws.on('error', () => undefined); // 'close' follows and says what happened.
  }

  /**
   * Pings every `intervalMs` and drops the connection when a ping goes unanswered for two intervals:
   * a peer gone without a word (a laptop that slept, a cut network) is noticed in seconds, not when
   * TCP gives up. The timer does not keep the process alive.
   */
  private keepAlive(intervalMs: number): NodeJS.Timeout {
    let answered = Date.now();
    this.ws.on('pong', () => (answered = Date.now()));
    const timer = setInterval(() => {
      if (this.paused) answered = Date.now();
      if (Date.now() - answered > 2 * intervalMs) {
        this.ws.terminate();
        return;
      }
      this.ws.ping();
    }, intervalMs);
    timer.unref();
    return timer;
  }

  /**
   * Connects, authenticates with `token` and shakes hands; errors say what to fix. The connection is
   * kept alive with pings every `keepAliveMs` (0 turns that off) and dropped when they go unanswered.
   */
  static async connect(
    url: string,
    token: string,
    client = 'berth-cli',
    keepAliveMs = 15_000,
    options: ConnectOptions = {},
  ): Promise<AgentClient> {
    const { stream } = options;
    // http.request takes a callback-style createConnection too; ws's typing only knows net's.
    const createConnection = stream
      ? (((_: unknown, done: (err: Error | null, socket?: Duplex) => void) => {
          stream().then(
            (socket) => done(null, socket),
            (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
          );
        }) as unknown as typeof netCreateConnection)
      : undefined;
    const ws = new WebSocket(url, {
      headers: { Authorization: `Bearer ${token}` },
      maxPayload: 16 * MAX_FRAME_BYTES,
      // An all-zero mask, which `ws` then neither applies here nor removes in the agent: XORing every
      // byte (and copying it) cost both ends more CPU than an upload's other work (a build's context,
      // a restore). Masking guards against a browser page's script steering bytes that a proxy in the
      // way could mistake for HTTP; this client is no browser, and its bytes go to the agent on
      // loopback or through an SSH channel.
      generateMask: (mask: Buffer) => mask.fill(0),
      ...(createConnection ? { createConnection } : {}),
    });
    const welcome = await new Promise<Welcome>((resolve, reject) => {
      const fail = (err: Error) => {
        ws.removeAllListeners();
        ws.on('error', () => undefined);
        ws.terminate();
        reject(err);
      };
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => {
          let message = `the agent refused the connection (HTTP ${res.statusCode ?? '?'})`;
          try {
            message = (JSON.parse(body) as { error: { message: string } }).error.message;
          } catch {
            // Not a Berth agent's JSON body: keep the HTTP status.
          }
          fail(new BerthError(res.statusCode === 401 ? 'unauthorized' : 'internal', message));
        });
      });
      ws.once('error', (err) =>
        fail(
          new BerthError(
            'internal',
            `cannot reach the Berth agent at ${url} (${errorMessage(err)}); is "berth serve" running there? Set --url or BERTH_URL`,
          ),
        ),
      );
      ws.once('open', () => ws.send(JSON.stringify({ hello: { protocol: PROTOCOL_VERSION, client } })));
      // A limit of the agent (too many sessions of this user, say) may close the connection instead of welcoming it.
      ws.once('close', (code, reason) =>
        fail(
          new BerthError(
            code === 1008 ? 'no_capacity' : 'internal',
            `the agent closed the connection before welcoming it (${code}): ${reason.toString() || 'no reason given'}`,
          ),
        ),
      );
      ws.once('message', (data) => {
        const frame = ServerFrame.safeParse(JSON.parse(rawText(data)));
        if (frame.success && 'welcome' in frame.data) {
          ws.removeAllListeners();
          return resolve(frame.data.welcome);
        }
        const error = frame.success && 'error' in frame.data ? frame.data.error : null;
        fail(
          error
            ? new BerthError(error.code, error.message)
            : new BerthError('bad_frame', 'the agent answered the handshake with something unexpected'),
        );
      });
    });
    return new AgentClient(ws, welcome, keepAliveMs);
  }

  /** Sends a request and resolves with its validated result, or rejects with the agent's {@link BerthError}. */
  request<M extends MethodName>(method: M, params: ParamsInput<M>, options: RequestOptions = {}): Promise<Result<M>> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise<Result<M>>((resolve, reject) => {
      this.pending.set(id, {
        method,
        onLog: options.onLog,
        onProgress: options.onProgress,
        onExec: options.onExec,
        onBytes: options.onBytes,
        resolve: resolve as (result: unknown) => void,
        reject,
      });
      this.ws.send(JSON.stringify({ id, method, params }));
      options.onSent?.(id);
      options.signal?.addEventListener('abort', () => this.ws.send(JSON.stringify({ cancel: id })), { once: true });
    });
  }

  /** Sends stdin to the running `workspace.exec` request `id` (`data` at most EXEC_CHUNK_BYTES), or its end. */
  sendInput(id: number, data: Buffer | null, eof = false): void {
    if (this.closedError) return;
    const frame: ExecInput = { input: id, ...(data ? { data: data.toString('base64') } : {}), ...(eof ? { eof } : {}) };
    this.ws.send(JSON.stringify(frame));
  }

  /** Sends bytes to the running request `id` (an `image.build`'s context, a restore's file) as one binary frame. */
  sendBytes(id: number, data: Buffer): void {
    if (this.closedError) return;
    this.ws.send(Buffer.concat([bytesFrameHeader(id), data]), { binary: true });
  }

  /** Tells the running `workspace.exec` request `id` (with a TTY) that its terminal changed size. */
  resize(id: number, size: TerminalSize): void {
    if (this.closedError) return;
    const frame: ExecResize = { resize: id, size };
    this.ws.send(JSON.stringify(frame));
  }

  /**
   * Stops reading from the agent until {@link resumeReading} (a consumer of a command's output
   * cannot keep up): the agent then stops reading the command's output in turn.
   */
  pauseReading(): void {
    this.paused = true;
    this.ws.pause();
  }

  resumeReading(): void {
    this.paused = false;
    this.ws.resume();
  }

  /** Receives every event the agent sends to this connection; returns the unsubscribe function. */
  onEvent(listener: (event: ClientEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Called once when the connection ends, for whatever reason (including `close()`); `code` is
   * `unauthorized` when the agent closed it because its token was revoked, so retrying cannot help.
   */
  onClose(listener: (reason: string, code: ErrorCode) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Whether the connection has ended. */
  get closed(): boolean {
    return this.closedError !== null;
  }

  close(): void {
    this.ws.close();
  }

  /** A binary frame of bytes (protocol/build.ts `bytesFrameHeader`) for one of this client's requests. */
  private onBytes(data: WebSocket.RawData): void {
    const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (buffer.length < 5 || buffer[0] !== BYTES_FRAME_TAG) return;
    this.pending.get(buffer.readUInt32BE(1))?.onBytes?.(buffer.subarray(5));
  }

  private onFrame(text: string): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return;
    }
    const frame = ServerFrame.safeParse(json);
    if (!frame.success) return;
    const data = frame.data;
    if ('event' in data) {
      const event = parseEvent(data);
      if (event?.event === 'workspace.log' && typeof event.data.requestId === 'number') {
        this.pending.get(event.data.requestId)?.onLog?.(event.data.text);
      }
      if (event?.event === 'workspace.progress' && typeof event.data.requestId === 'number') {
        this.pending.get(event.data.requestId)?.onProgress?.(event.data);
      }
      if (
        (event?.event === 'workspace.exec.output' || event?.event === 'workspace.exec.stdin') &&
        typeof event.data.requestId === 'number'
      ) {
        this.pending.get(event.data.requestId)?.onExec?.(event);
      }
      if (event) for (const listener of this.listeners) listener(event);
      return;
    }
    if (!('id' in data) || typeof data.id !== 'number') return;
    const pending = this.pending.get(data.id);
    if (!pending) return;
    this.pending.delete(data.id);
    if ('error' in data) return pending.reject(new BerthError(data.error.code, data.error.message, data.error.data));
    const result = METHODS[pending.method].result.safeParse(data.result);
    if (result.success) pending.resolve(result.data);
    else {
      pending.reject(
        new BerthError(
          'bad_frame',
          `the agent's reply to ${pending.method} is malformed: ${describeIssues(result.error)}`,
        ),
      );
    }
  }
}
