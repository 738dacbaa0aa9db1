import type { RawData, WebSocket } from 'ws';
import {
  BerthError,
  ClientFrame,
  Hello,
  BYTES_FRAME_TAG,
  AGENT_FEATURES,
  bytesFrameHeader,
  MAX_FRAME_BYTES,
  METHODS,
  PROTOCOL_VERSION,
  RequestId,
  describeIssues,
  isMethodName,
  type ErrorBody,
  type ExecInput,
  type ExecResize,
  type MethodName,
  type Request,
} from '../../protocol';
import type { User } from '../users';
import { errorMessage, type Logger } from '../../util/log';
import type { AgentEvent, EventBus } from '../workspaces/events';
import { AGENT_VERSION } from '../version';
import type { HandlerContext, Handlers } from './handlers';
import { HELLO_TIMEOUT_MS, MAX_BUFFERED_BYTES, MAX_REQUESTS_IN_FLIGHT, deadline } from './limits';

/** Connection-level needs of a session. */
export interface SessionDeps {
  handlers: Handlers;
  bus: EventBus;
  log: Logger;
  host: string;
}

/** WebSocket close code for a connection that broke one of the agent's limits (RFC 6455 "policy violation"). */
export const CLOSE_POLICY = 1008;

const MiB = 1024 * 1024;

let connections = 0;

/** Each event's JSON, made once however many sessions send it (an admin's events go to every one). */
const eventTexts = new WeakMap<AgentEvent, string>();
/** The same, for progress events sent to connections other than the one whose request caused them. */
const foreignTexts = new WeakMap<AgentEvent, string>();

/**
 * One authenticated WebSocket connection: the handshake, then requests dispatched to the handlers,
 * cancellations, and the events this user may see. Bad frames get an error reply and the connection
 * goes on; a failed or late handshake closes it, and so does a client that leaves more than
 * {@link MAX_BUFFERED_BYTES} unread (1008, with the reason).
 */
export class Session {
  /** Distinguishes this connection from the user's others (for limits per connection). */
  readonly connectionId = ++connections;
  private greeted = false;
  private greetedListener: (() => void) | null = null;
  private admission: (() => string | null) | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly inflight = new Map<RequestId, AbortController>();
  /** Requests that take stdin or resize frames (a running `workspace.exec`), by id. */
  private readonly inputs = new Map<RequestId, (frame: ExecInput | ExecResize) => void>();
  /** Requests that take binary frames of bytes (a running `image.build`'s context), by id. */
  private readonly byteInputs = new Map<RequestId, (bytes: Buffer) => void>();
  private readonly cancelHelloDeadline: () => void;

  constructor(
    private readonly ws: WebSocket,
    private readonly user: User,
    /** The id of the token it authenticated with. */
    readonly tokenId: string,
    private readonly deps: SessionDeps,
  ) {
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('close', () => this.dispose());
    ws.on('error', () => this.dispose());
    this.cancelHelloDeadline = deadline(HELLO_TIMEOUT_MS, () => {
      if (this.greeted) return;
      this.close(
        CLOSE_POLICY,
        `no hello within ${HELLO_TIMEOUT_MS / 1000} s; send {"hello":{"protocol":${PROTOCOL_VERSION},"client":"…"}} first`,
      );
    });
  }

  /**
   * Asks `admit` once the client's hello is valid, before it is welcomed: a reason it returns closes
   * the connection with 1008 and that reason (at most 123 bytes) instead.
   */
  onAdmission(admit: () => string | null): void {
    this.admission = admit;
  }

  /** Calls `listener` once the client has shaken hands (never, when it fails to). */
  onGreeted(listener: () => void): void {
    this.greetedListener = listener;
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    // A connection being closed (by a limit, a revocation, a failed handshake) starts no more work.
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (isBinary && this.greeted && this.bytesFrame(data)) return;
    const decoded = this.decode(data, isBinary);
    if (!this.greeted) {
      if (decoded.ok) return this.onHello(decoded.frame);
      return this.ws.close(1002, 'handshake expected');
    }
    if (!decoded.ok) return;
    const frame = decoded.frame;
    const parsed = ClientFrame.safeParse(frame);
    if (!parsed.success) {
      const id = RequestId.safeParse((frame as { id?: unknown } | null)?.id);
      return this.replyError(
        id.success ? id.data : null,
        'bad_frame',
        `not a request or cancel frame: ${describeIssues(parsed.error)}`,
      );
    }
    if ('cancel' in parsed.data) {
      this.inflight.get(parsed.data.cancel)?.abort();
      return;
    }
    // Input for a command that has just exited is not an error: the client could not know yet.
    if ('input' in parsed.data) return this.inputs.get(parsed.data.input)?.(parsed.data);
    if ('resize' in parsed.data) return this.inputs.get(parsed.data.resize)?.(parsed.data);
    void this.dispatch(parsed.data);
  }

  /** Hands a binary frame of bytes (protocol/build.ts) to its request; false when it is none such. */
  private bytesFrame(data: RawData): boolean {
    // A Buffer as it is (Buffer.from would copy every chunk of an upload once more).
    const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (buffer.length < 5 || buffer.length > MAX_FRAME_BYTES || buffer[0] !== BYTES_FRAME_TAG) return false;
    const listener = this.byteInputs.get(buffer.readUInt32BE(1));
    listener?.(buffer.subarray(5));
    return listener !== undefined;
  }

  /** Parses a frame's JSON; a frame that is too big, binary or not JSON gets an error reply instead. */
  private decode(data: RawData, isBinary: boolean): { ok: true; frame: unknown } | { ok: false } {
    const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (buffer.length > MAX_FRAME_BYTES) {
      this.replyError(
        null,
        'frame_too_large',
        `frame of ${buffer.length} bytes exceeds the limit of ${MAX_FRAME_BYTES} bytes; send smaller requests`,
      );
      return { ok: false };
    }
    if (isBinary) {
      this.replyError(
        null,
        'bad_frame',
        'a binary frame carries only the context of a running image.build (protocol/build.ts); send requests as JSON text frames',
      );
      return { ok: false };
    }
    try {
      return { ok: true, frame: JSON.parse(buffer.toString('utf8')) };
    } catch (err) {
      this.replyError(null, 'bad_frame', `frame is not JSON (${errorMessage(err)}); send one JSON object per message`);
      return { ok: false };
    }
  }

  private onHello(frame: unknown): void {
    const hello = Hello.safeParse(frame);
    if (!hello.success) {
      this.replyError(
        null,
        'bad_frame',
        `the first frame must be {"hello":{"protocol":${PROTOCOL_VERSION},"client":"…"}}`,
      );
      return this.ws.close(1002, 'handshake expected');
    }
    if (hello.data.hello.protocol !== PROTOCOL_VERSION) {
      this.replyError(
        null,
        'unsupported_version',
        `this agent speaks protocol ${PROTOCOL_VERSION}, the client ${hello.data.hello.protocol}; install matching versions of the agent and the client`,
      );
      return this.ws.close(1002, 'unsupported protocol version');
    }
    this.cancelHelloDeadline();
    const refusal = this.admission?.() ?? null;
    if (refusal) return this.close(CLOSE_POLICY, refusal);
    this.greeted = true;
    this.greetedListener?.();
    this.send({
      welcome: {
        protocol: PROTOCOL_VERSION,
        agentVersion: AGENT_VERSION,
        host: this.deps.host,
        user: this.user,
        features: [...AGENT_FEATURES],
      },
    });
    this.unsubscribe = this.deps.bus.subscribe((event, owner, origin) => this.onEvent(event, owner, origin));
  }

  private async dispatch(request: Request): Promise<void> {
    const { id, method } = request;
    if (!isMethodName(method)) {
      return this.replyError(
        id,
        'unknown_method',
        `unknown method "${method}"; this agent serves ${Object.keys(METHODS).join(', ')}`,
      );
    }
    if (this.inflight.has(id)) {
      return this.replyError(id, 'bad_frame', `request id ${id} is already in use by a running request`);
    }
    if (this.inflight.size >= MAX_REQUESTS_IN_FLIGHT) {
      return this.replyError(
        id,
        'no_capacity',
        `this connection has ${this.inflight.size} requests running, the most the agent runs at once for one connection; wait for their replies before sending more`,
      );
    }
    const params = METHODS[method].params.safeParse(request.params ?? {});
    if (!params.success) return this.replyError(id, 'invalid_params', describeIssues(params.error));
    const abort = new AbortController();
    this.inflight.set(id, abort);
    const ctx: HandlerContext = {
      user: this.user,
      tokenId: this.tokenId,
      connectionId: this.connectionId,
      requestId: id,
      signal: abort.signal,
      sendLog: (text) => this.send({ event: 'workspace.log', data: { requestId: id, text } }),
      sendEvent: (event, data, onSent) => this.sendText(JSON.stringify({ event, data }), onSent),
      // A binary frame names its request by a number (a string id gets base64 events instead).
      ...(typeof id === 'number' && id >= 0 && id < 2 ** 32
        ? { sendBytes: (bytes: Buffer, onSent?: () => void) => this.sendBytes(id, bytes, onSent) }
        : {}),
      onInput: (listener) => this.inputs.set(id, listener),
      onBytes: (listener) => this.byteInputs.set(id, listener),
    };
    try {
      const handler = this.deps.handlers[method] as (params: unknown, ctx: HandlerContext) => Promise<unknown>;
      const result = await handler(params.data, ctx);
      this.send({ id, result });
    } catch (err) {
      this.send({ id, error: this.toErrorBody(method, err) });
    } finally {
      this.inflight.delete(id);
      this.inputs.delete(id);
      this.byteInputs.delete(id);
    }
  }

  private toErrorBody(method: MethodName, err: unknown): ErrorBody {
    if (err instanceof BerthError) return err.toBody();
    this.deps.log.error(
      `${method} by ${this.user.name} failed unexpectedly: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    return { code: 'internal', message: `the agent failed unexpectedly: ${errorMessage(err)}; see the agent's log` };
  }

  /** Ends the connection with a close frame; the client sees `code` and `reason`. */
  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  /** Calls `listener` once when the connection has ended. */
  onEnd(listener: () => void): void {
    this.ws.once('close', listener);
  }

  private onEvent(event: AgentEvent, owner: string, origin: number | undefined): void {
    if (!this.user.admin && owner !== this.user.name) return;
    // A request id means something only on the connection that chose it: elsewhere the same number
    // may be one of this client's own requests, so other connections see the progress unclaimed.
    const foreign =
      event.event === 'workspace.progress' && event.data.requestId !== null && origin !== this.connectionId;
    const texts = foreign ? foreignTexts : eventTexts;
    let text = texts.get(event);
    if (text === undefined) {
      const sent = foreign ? { ...event, data: { ...event.data, requestId: null } } : event;
      texts.set(event, (text = JSON.stringify(sent)));
    }
    this.sendText(text);
  }

  private replyError(id: RequestId | null, code: ErrorBody['code'], message: string): void {
    this.send({ id, error: { code, message } });
  }

  private send(frame: unknown): void {
    this.sendText(JSON.stringify(frame));
  }

  /**
   * Sends a reply or an event, unless the client has left too much unread: then the connection is
   * closed instead, so that a client that stops reading holds at most {@link MAX_BUFFERED_BYTES}
   * (and the frame sent last) of the agent's memory, whether it asked for the frames or not.
   */
  private sendText(text: string, onSent?: () => void): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) return this.overflow();
    this.ws.send(text, onSent && (() => onSent()));
  }

  /** Sends `bytes` to request `id` as one binary frame (protocol/build.ts), under the same bound as {@link sendText}. */
  private sendBytes(id: number, bytes: Buffer, onSent?: () => void): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) return this.overflow();
    // The header and the bytes as two fragments of one message, sent back to back (nothing can come
    // between them): the bytes go out as they are, where joining them to the header copied each chunk.
    this.ws.send(bytesFrameHeader(id), { binary: true, fin: false });
    this.ws.send(bytes, { binary: true, fin: true }, onSent && (() => onSent()));
  }

  private overflow(): void {
    const unread = (this.ws.bufferedAmount / MiB).toFixed(1);
    this.deps.log.warn(
      `closing a connection of ${this.user.name}: ${unread} MiB of replies and events wait for it to read them (limit ${MAX_BUFFERED_BYTES / MiB} MiB)`,
    );
    this.close(
      CLOSE_POLICY,
      `the client stopped reading: over ${MAX_BUFFERED_BYTES / MiB} MiB of replies and events left unread; reconnect and read as you go`,
    );
    this.dispose();
  }

  private dispose(): void {
    this.cancelHelloDeadline();
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const abort of this.inflight.values()) abort.abort();
  }
}
