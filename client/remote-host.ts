import * as os from 'node:os';
import { AgentClient } from './agent-client';
import { BerthError } from '../protocol';
import type { AgentBundle, RemoteAgentInfo } from './ssh/install';
import { ownError } from './own-error';
import type { SessionOptions, SshSession } from './ssh/session';
import type * as SshCode from './ssh';
import type { JumpHostEntry, ResolveOptions, SshTarget } from './ssh/target';

/** The SSH code (./ssh/index.ts), as loaded: in the extension, the separate bundle dist/remote.js. */
export type SshModule = typeof SshCode;

/** How to reach and set up a remote host. */
export interface RemoteHostOptions extends Omit<SessionOptions, 'resolve'> {
  /** The SSH code (client/ssh/index.ts), loaded. */
  ssh: SshModule;
  bundle: AgentBundle;
  /** Where the user's SSH config is (tests point it elsewhere). */
  resolve?: ResolveOptions;
  log?: (line: string) => void;
  /** Told what each set-up found or did on the host (installed, upgraded, started or reused the agent). */
  onAgent?: (agent: RemoteAgentInfo) => void;
}

/**
 * A compute host reached only by SSH: one SSH session at a time (reopened after it drops), the
 * agent installed or upgraded on it once per session, and WebSockets to the agent's loopback port
 * carried in channels of that session.
 */
export class RemoteHost {
  private session: SshSession | null = null;
  private agent: RemoteAgentInfo | null = null;
  private pending: Promise<{ session: SshSession; agent: RemoteAgentInfo }> | null = null;
  /** Set by `close()`: a set-up still under way then closes the session it opened instead of keeping it. */
  private closed = false;

  constructor(
    /** What the user typed: `user@host[:port]` or an alias of their SSH config. */
    readonly spec: string,
    private readonly options: RemoteHostOptions,
  ) {}

  /** The SSH target as the user's config says now. */
  target(): SshTarget {
    return this.options.ssh.resolveTarget(this.spec, this.options.resolve);
  }

  /** The managed Host block (`alias`) that workspaces on this host jump through. */
  jumpEntry(alias: string): JumpHostEntry {
    return this.options.ssh.jumpHostEntry(alias, this.target());
  }

  /** The live session and agent: connects over SSH and installs, upgrades or starts the agent as needed. */
  ready(): Promise<{ session: SshSession; agent: RemoteAgentInfo }> {
    if (this.closed) return Promise.reject(this.closedError());
    if (this.session && !this.session.closed && this.agent) {
      return Promise.resolve({ session: this.session, agent: this.agent });
    }
    this.pending ??= this.setUp()
      .catch((err: unknown) => Promise.reject(ownError(err)))
      .finally(() => (this.pending = null));
    return this.pending;
  }

  /** Mints a token for the SSH user on the host, labelled after this machine (`berth token ls` shows it). */
  async mintToken(label = `VS Code on ${os.hostname()}`): Promise<string> {
    const { session, agent } = await this.ready();
    return this.options.ssh.mintToken(session, agent, label).catch((err: unknown) => Promise.reject(ownError(err)));
  }

  /**
   * A protocol client to the host's agent through the tunnel: its WebSocket runs in a `direct-tcpip`
   * channel of the SSH session to the agent's loopback port (no port is opened on either machine).
   */
  async connect(token: string, client = 'berth-vscode'): Promise<AgentClient> {
    const { agent } = await this.ready();
    const stream = async () => {
      const live = await this.ready();
      return live.session.channel('127.0.0.1', live.agent.port);
    };
    try {
      return await AgentClient.connect(`ws://127.0.0.1:${agent.port}`, token, client, undefined, { stream });
    } catch (err) {
      // The agent may have died on the host: the next attempt checks it (and starts it) again.
      if (!(err instanceof BerthError && err.code === 'unauthorized')) this.agent = null;
      throw err;
    }
  }

  /** Whether a connect or agent check is under way (it may still start the agent on the host). */
  get settingUp(): boolean {
    return this.pending !== null;
  }

  /** Closes the SSH session (and with it every channel), for good: the host was removed. */
  close(): void {
    this.closed = true;
    this.session?.close();
    this.session = null;
  }

  /** Opens a session unless a live one is there, then makes sure the agent runs. */
  private async setUp(): Promise<{ session: SshSession; agent: RemoteAgentInfo }> {
    const { ssh } = this.options;
    const live = this.session && !this.session.closed ? this.session : null;
    if (!live) this.session?.close();
    const resolve = (spec: string) => ssh.resolveTarget(spec, this.options.resolve);
    const session = live ?? (await ssh.SshSession.open(this.target(), { ...this.options, resolve }));
    try {
      if (this.closed) throw this.closedError();
      const agent = await ssh.ensureAgent(session, this.options.bundle);
      if (this.closed) throw this.closedError();
      this.options.log?.(
        `${this.spec}: agent ${agent.build} ${agent.action} on 127.0.0.1:${agent.port} (node ${agent.node})`,
      );
      this.options.onAgent?.(agent);
      if (!live) session.onClose((reason) => this.options.log?.(`${this.spec}: ${reason}`));
      this.session = session;
      this.agent = agent;
      return { session, agent };
    } catch (err) {
      if (!live) session.close();
      throw err;
    }
  }

  private closedError(): BerthError {
    return new BerthError('internal', `the SSH connection to ${this.spec} was closed (the host was removed)`);
  }
}
