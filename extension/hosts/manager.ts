import * as vscode from 'vscode';
import type { ClientEvent } from '../../agent/cli/client';
import { aliasPart } from '../ssh/config-text';
import { HostConnection } from './connection';
import type { HostConfig } from './host';

const HOSTS_KEY = 'berth.hosts';
const tokenKey = (hostId: string) => `berth.token.${hostId}`;

/**
 * The hosts the user added (in global state; tokens in SecretStorage, one key per host) and one live
 * connection to each. Fires `onDidChange` on any change of hosts, connection states or workspaces.
 */
export class HostManager implements vscode.Disposable {
  private readonly connections = new Map<string, HostConnection>();
  private readonly emitter = new vscode.EventEmitter<ClientEvent | undefined>();
  /** Fires with the agent event behind a change, when there is one. */
  readonly onDidChange = this.emitter.event;

  constructor(
    private readonly state: vscode.Memento,
    private readonly secrets: vscode.SecretStorage,
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

  /** Adds a host, keeps its token in SecretStorage and connects to it. */
  async add(label: string, url: string, token: string): Promise<HostConfig> {
    const taken = new Set(this.hosts().map((host) => host.id));
    const base = aliasPart(label);
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    const host: HostConfig = { id, label, url };
    await this.secrets.store(tokenKey(id), token);
    await this.state.update(HOSTS_KEY, [...this.hosts(), host]);
    this.open(host);
    return host;
  }

  /** Forgets a host and its token; its workspaces are not touched. */
  async remove(hostId: string): Promise<void> {
    this.connections.get(hostId)?.dispose();
    this.connections.delete(hostId);
    await this.state.update(
      HOSTS_KEY,
      this.hosts().filter((host) => host.id !== hostId),
    );
    await this.secrets.delete(tokenKey(hostId));
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
    this.emitter.dispose();
  }

  private open(host: HostConfig): void {
    const connection = new HostConnection(host, () => Promise.resolve(this.secrets.get(tokenKey(host.id))));
    connection.onDidChange((event) => this.emitter.fire(event));
    this.connections.set(host.id, connection);
    connection.connect();
  }
}
