import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { Workspace } from '../../protocol';
import type { Services } from '../services';
import type { HostConnection } from '../hosts/connection';
import type { JumpHostEntry } from '../../client/ssh/target';
import { aliasPart } from '../hosts/host';
import type { HostEntry } from './config-text';

const SYNC_DEBOUNCE_MS = 300;

/** The SSH alias (and Remote-SSH authority) of a workspace: `berth.<host>.<workspace>`. */
export function workspaceAlias(hostId: string, workspace: Workspace): string {
  return `berth.${aliasPart(hostId)}.${workspace.name}`;
}

/** The SSH alias of a compute host reached over SSH, which its workspaces jump through: `berth.<host>`. */
export function jumpAlias(hostId: string): string {
  return `berth.${aliasPart(hostId)}`;
}

/**
 * Host blocks for every workspace the connected users own, on every connected host. A workspace on
 * a host reached over SSH is reached through that host (`ProxyJump`) at its loopback port.
 */
export function sshEntries(services: Services): HostEntry[] {
  return services.manager.all().flatMap((connection) => {
    if (connection.status.kind !== 'connected') return [];
    const me = connection.status.welcome.user.name;
    const jump = connection.host.ssh ? jumpAlias(connection.host.id) : undefined;
    return (
      [...connection.workspaces.values()]
        // Archive: an archived workspace holds no port (another may have it): no block until unarchived.
        .filter((ws) => ws.owner === me && ws.ssh.hostKey && !(ws.archivedAt && ws.state === 'stopped'))
        .map((ws) => ({
          alias: workspaceAlias(connection.host.id, ws),
          hostName: jump ? '127.0.0.1' : ws.ssh.host,
          port: ws.ssh.port,
          user: ws.ssh.user,
          identityFile: services.ssh.keyFile,
          knownHostsFile: services.ssh.knownHostsFile,
          hostKey: ws.ssh.hostKey,
          ...(jump ? { proxyJump: jump } : {}),
        }))
    );
  });
}

/** Host blocks for the compute hosts reached over SSH, as the user's SSH config describes them. */
export function sshJumps(services: Services): JumpHostEntry[] {
  return services.manager.hosts().flatMap((host) => {
    const remote = services.manager.remote(host.id);
    try {
      return remote ? [remote.jumpEntry(jumpAlias(host.id))] : [];
    } catch (err) {
      services.log.warn(`no SSH block for ${host.label}: ${String(err)}`);
      return [];
    }
  });
}

/**
 * The workspace blocks to write: those of the connected hosts, and, for a host this window is not
 * connected to now (unreachable a moment, or in another window's care), the blocks the file already
 * has, so that a rewrite never takes away what `ssh berth.<host>.<ws>` needs.
 */
async function entriesToWrite(services: Services): Promise<HostEntry[]> {
  const offline = services.manager
    .hosts()
    .filter((host) => services.manager.connection(host.id)?.status.kind !== 'connected')
    .map((host) => `berth.${aliasPart(host.id)}.`);
  return [...sshEntries(services), ...(await services.ssh.entries(offline))];
}

/** Writes the managed SSH files for the current workspaces, making Berth's key pair first if needed. */
export async function syncSshConfig(services: Services): Promise<void> {
  await services.ssh.ensureKey();
  await services.ssh.write(await entriesToWrite(services), sshJumps(services));
}

/** The comment the extension's key is registered with, so `berth key ls` says whose it is: `VS Code on laptop`. */
export function keyComment(): string {
  return `VS Code on ${os.hostname()}`;
}

/** Registers the extension's public key with the user on `connection`'s host (idempotent on the agent). */
export async function registerKey(services: Services, connection: HostConnection): Promise<void> {
  const key = await services.ssh.ensureKey();
  await connection.request('user.addKey', { key: `${key} ${keyComment()}` });
}

/**
 * Keeps the managed SSH files in step with the workspaces (ports, host keys), once the user has used
 * SSH through Berth (the directory exists): nothing is written to ~/.ssh before that.
 */
export function registerSshSync(services: Services): vscode.Disposable {
  let timer: NodeJS.Timeout | null = null;
  const subscription = services.manager.onDidChange(() => {
    if (timer || !existsSync(services.ssh.dir)) return;
    timer = setTimeout(() => {
      timer = null;
      entriesToWrite(services)
        .then((entries) => services.ssh.write(entries, sshJumps(services)))
        .catch((err: unknown) => services.log.warn(`could not update the SSH config: ${String(err)}`));
    }, SYNC_DEBOUNCE_MS);
  });
  return new vscode.Disposable(() => {
    if (timer) clearTimeout(timer);
    subscription.dispose();
  });
}
