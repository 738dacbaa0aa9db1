import { AgentClient, type ClientEvent, type RequestOptions } from '../../client/agent-client';
import {
  BerthError,
  type HostInfo,
  type MethodName,
  type ParamsInput,
  type Result,
  type Workspace,
} from '../../protocol';
import type { HostConfig, HostStatus } from './host';

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;
/** How long after a workspace change the host's capacity is read again: a burst of changes reads it once. */
const INFO_DEBOUNCE_MS = 1_000;
/** Two deadlines closer than this are the same deadline. */
const SAME_DEADLINE_MS = 1_000;

/** Connects a client; swapped out in tests. */
export type Connector = (url: string, token: string) => Promise<AgentClient>;

/**
 * One host's live connection: connects, lists the workspaces once, then keeps them current from the
 * agent's events (no polling). When the connection drops it reconnects by itself with backoff; a
 * refused token stops the retries until the user fixes it. Free of `vscode`, so it is tested in Node.
 */
export class HostConnection {
  status: HostStatus = { kind: 'connecting' };
  /** The host's workspaces by id, as the agent last reported them. */
  readonly workspaces = new Map<string, Workspace>();
  /** The host's capacity and agent (host.info), read on connect and again after workspaces change. */
  info: HostInfo | undefined;
  /** The idle stops warned of and still pending: workspace id → the warned `stopAt`. */
  private readonly warnings = new Map<string, string>();
  private infoTimer: NodeJS.Timeout | null = null;
  private client: AgentClient | null = null;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  private disposed = false;
  /** Counts connection attempts; an attempt that is no longer the latest gives up its client. */
  private attempts = 0;
  private readonly listeners = new Set<(event?: ClientEvent) => void>();

  constructor(
    readonly host: HostConfig,
    private readonly token: () => Promise<string | undefined>,
    private readonly connector: Connector = (url, token) => AgentClient.connect(url, token, 'berth-vscode'),
  ) {}

  /** Called on every change of status or workspaces, with the agent event that caused it if any. */
  onDidChange(listener: (event?: ClientEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Connects now (cancelling a pending retry). */
  connect(): void {
    if (this.disposed) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const previous = this.client;
    this.client = null;
    previous?.close();
    this.setStatus({ kind: 'connecting' });
    void this.attempt(++this.attempts);
  }

  /** Sends a request over the live connection; a clear error when the host is not connected. */
  request<M extends MethodName>(method: M, params: ParamsInput<M>, options: RequestOptions = {}): Promise<Result<M>> {
    if (!this.client || this.status.kind !== 'connected') {
      const reason = this.status.kind === 'error' ? this.status.message : 'still connecting';
      return Promise.reject(new BerthError('internal', `${this.host.label} is not connected (${reason})`));
    }
    return this.client.request(method, params, options);
  }

  /** The live client, for what takes one whole (a build's upload); the same error as {@link request} when not connected. */
  liveClient(): AgentClient {
    if (!this.client || this.status.kind !== 'connected') {
      const reason = this.status.kind === 'error' ? this.status.message : 'still connecting';
      throw new BerthError('internal', `${this.host.label} is not connected (${reason})`);
    }
    return this.client;
  }

  /** The workspace called `name` owned by the connected user (or any owner, when `owner` is given). */
  find(name: string, owner?: string): Workspace | undefined {
    const me = this.status.kind === 'connected' ? this.status.welcome.user.name : undefined;
    for (const ws of this.workspaces.values()) if (ws.name === name && ws.owner === (owner ?? me)) return ws;
    return undefined;
  }

  /**
   * Records an idle warning of a workspace (an event, or one caught up from idle.status); it stays
   * pending until the workspace stops, is removed, or shows another deadline.
   */
  noteWarning(id: string, stopAt: string): void {
    if (this.warnings.get(id) === stopAt) return;
    this.warnings.set(id, stopAt);
    this.emit();
  }

  /** Whether an idle stop of the workspace was warned of and is still pending. */
  warned(id: string): boolean {
    return this.warnings.has(id);
  }

  dispose(): void {
    this.disposed = true;
    this.attempts++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.infoTimer) clearTimeout(this.infoTimer);
    this.client?.close();
    this.client = null;
    this.listeners.clear();
  }

  private async attempt(attempt: number): Promise<void> {
    const stale = () => attempt !== this.attempts;
    let client: AgentClient | null = null;
    try {
      const token = await this.token();
      if (!token) throw new BerthError('unauthorized', 'no token stored for this host; set one to connect');
      client = await this.connector(this.host.url, token);
      if (stale()) return client.close();
      const { workspaces } = await client.request('workspace.list', {});
      if (stale()) return client.close();
      this.workspaces.clear();
      for (const ws of workspaces) this.workspaces.set(ws.id, ws);
    } catch (err) {
      client?.close();
      if (stale()) return;
      const code = err instanceof BerthError ? err.code : undefined;
      return this.fail(err instanceof Error ? err.message : String(err), code);
    }
    this.client = client;
    this.retryMs = FIRST_RETRY_MS;
    client.onEvent((event) => this.apply(event));
    client.onClose((reason, code) => {
      if (this.client === client) this.fail(`connection lost: ${reason}`, code);
    });
    this.setStatus({ kind: 'connected', welcome: client.welcome });
    this.readInfo(client);
  }

  /** Reads host.info for the host row's tooltip; a failure leaves the last one (it is only a tooltip). */
  private readInfo(client: AgentClient): void {
    client.request('host.info', {}).then(
      (info) => {
        if (this.client !== client) return;
        this.info = info;
        this.emit();
      },
      () => undefined,
    );
  }

  /** Reads host.info again a moment after a workspace changed (what is free changes with it). */
  private scheduleInfo(): void {
    this.infoTimer ??= setTimeout(() => {
      this.infoTimer = null;
      if (this.client && this.status.kind === 'connected') this.readInfo(this.client);
    }, INFO_DEBOUNCE_MS);
  }

  /** Follows a new view of a workspace: a moved or cleared deadline, or a stop, ends its warning. */
  private followWarning(ws: Workspace): void {
    const known = this.warnings.get(ws.id);
    if (known === undefined) return;
    const deadline = ws.idleStopAt ? Date.parse(ws.idleStopAt) : undefined;
    const moved = deadline === undefined || Math.abs(deadline - Date.parse(known)) >= SAME_DEADLINE_MS;
    if (ws.state !== 'running' || moved) this.warnings.delete(ws.id);
  }

  private apply(event: ClientEvent): void {
    // A stream's bytes (a backup, a restore, a command's output) belong to its request alone, which
    // gets them from the client: handed to the listeners, every chunk would redraw the tree and the
    // status bar, and a backup would crawl at a few MiB/s.
    if (event.event === 'workspace.exec.output' || event.event === 'workspace.exec.stdin') return;
    if (event.event === 'workspace.changed') {
      this.workspaces.set(event.data.workspace.id, event.data.workspace);
      this.followWarning(event.data.workspace);
      this.scheduleInfo();
    } else if (event.event === 'workspace.removed') {
      this.workspaces.delete(event.data.id);
      this.warnings.delete(event.data.id);
      this.scheduleInfo();
    } else if (event.event === 'workspace.idleWarning') {
      this.warnings.set(event.data.id, event.data.stopAt);
    }
    this.emit(event);
  }

  private fail(message: string, code?: string): void {
    this.client = null;
    if (this.disposed) return;
    // Retrying cannot help with a refused token, a changed SSH host key or a host without Node.js.
    if (code === 'unauthorized' || code === 'forbidden' || code === 'not_found') {
      return this.setStatus({ kind: 'error', message, code });
    }
    const retryAt = Date.now() + this.retryMs;
    this.retryTimer = setTimeout(() => this.connect(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.setStatus(code ? { kind: 'error', message, code, retryAt } : { kind: 'error', message, retryAt });
  }

  private setStatus(status: HostStatus): void {
    this.status = status;
    this.emit();
  }

  private emit(event?: ClientEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
