import * as vscode from 'vscode';
import type { ClientEvent } from '../../client/agent-client';
import type { RemoteHost } from '../../client/remote-host';
import { HostConnection } from './connection';
import { aliasPart, type HostConfig } from './host';
import { sshHostConnection } from './ssh-connection';

const HOSTS_KEY = 'berth.hosts';
const tokenKey = (hostId: string) => `berth.token.${hostId}`;

/**
 * The hosts the user added (in global state; tokens in SecretStorage, one key per host) and one live
 * connection to each. Fires `onDidChange` on any change of hosts, connection states or workspaces.
 */
export class HostManager implements vscode.Disposable {
  private readonly connections = new Map<string, HostConnection>();
  /** The SSH side of the hosts reached over SSH, by host id. */
  private readonly remotes = new Map<string, RemoteHost>();
  private readonly emitter = new vscode.EventEmitter<ClientEvent | undefined>();
  /** Fires with the agent event behind a change, when there is one. */
  readonly onDidChange = this.emitter.event;
  private readonly hostEmitter = new vscode.EventEmitter<string | undefined>();
  /** Fires with the id of the host whose status or workspaces changed; undefined when the set of hosts changed. */
  readonly onDidChangeHost = this.hostEmitter.event;

  constructor(
    private readonly state: vscode.Memento,
    private readonly secrets: vscode.SecretStorage,
    /** Makes the SSH side of a host reached over SSH (`user@host[:port]` or an alias). */
    private readonly remoteHost?: (spec: string) => RemoteHost,
  ) {
    for (const host of this.hosts()) this.open(host);
  }

  /** The configured hosts, in the order they were added. */
  hosts(): HostConfig[] {
    return this.state.get<HostConfig[]>(HOSTS_KEY, []);
  }

  connection(hostId: string): HostConnection | undefined {
    return this.connections.get(hostId);
  }

  /** Every host's connection. */
  all(): HostConnection[] {
    return [...this.connections.values()];
  }

  /** The SSH side of a host reached over SSH. */
  remote(hostId: string): RemoteHost | undefined {
    return this.remotes.get(hostId);
  }

  /** Adds a host, keeps its token in SecretStorage and connects to it. */
  async add(label: string, url: string, token: string): Promise<HostConfig> {
    const host: HostConfig = { id: this.newId(label), label, url };
    await this.secrets.store(tokenKey(host.id), token);
    return this.insert(host);
  }

  /**
   * Adds a host reached over SSH and connects to it: the agent is installed or upgraded there and
   * a token minted over SSH (kept in SecretStorage), all on connect.
   */
  addSsh(label: string, spec: string): Promise<HostConfig> {
    return this.insert({ id: this.newId(label), label, url: `ssh://${spec}`, ssh: spec });
  }

  /** Forgets a host and its token; its workspaces are not touched. */
  async remove(hostId: string): Promise<void> {
    this.connections.get(hostId)?.dispose();
    this.connections.delete(hostId);
    this.remotes.get(hostId)?.close();
    this.remotes.delete(hostId);
    await this.state.update(
      HOSTS_KEY,
      this.hosts().filter((host) => host.id !== hostId),
    );
    await this.secrets.delete(tokenKey(hostId));
    this.hostEmitter.fire(undefined);
    this.emitter.fire(undefined);
  }

  /** Replaces a host's token and reconnects. */
  async setToken(hostId: string, token: string): Promise<void> {
    await this.secrets.store(tokenKey(hostId), token);
    this.connections.get(hostId)?.connect();
  }

  dispose(): void {
    for (const connection of this.connections.values()) connection.dispose();
    this.connections.clear();
    for (const remote of this.remotes.values()) remote.close();
    this.remotes.clear();
    this.emitter.dispose();
    this.hostEmitter.dispose();
  }

  /** A unique id from a label. */
  private newId(label: string): string {
    const taken = new Set(this.hosts().map((host) => host.id));
    const base = aliasPart(label);
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    return id;
  }

  private async insert(host: HostConfig): Promise<HostConfig> {
    await this.state.update(HOSTS_KEY, [...this.hosts(), host]);
    this.open(host);
    return host;
  }

  private open(host: HostConfig): void {
    const token = () => Promise.resolve(this.secrets.get(tokenKey(host.id)));
    let connection: HostConnection;
    if (host.ssh && this.remoteHost) {
      const remote = this.remoteHost(host.ssh);
      this.remotes.set(host.id, remote);
      connection = sshHostConnection(host, remote, {
        get: token,
        set: (value) => Promise.resolve(this.secrets.store(tokenKey(host.id), value)),
      });
    } else {
      connection = new HostConnection(host, token);
    }
    connection.onDidChange((event) => {
      this.hostEmitter.fire(host.id);
      this.emitter.fire(event);
    });
    this.connections.set(host.id, connection);
    connection.connect();
  }
}
