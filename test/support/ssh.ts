import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sshArgs } from '../../cli/commands/ssh';
import type { Workspace } from '../../protocol';

/** A client key pair made with the stock ssh-keygen. */
export function sshKeyPair(): { privateKey: string; publicKey: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-key-'));
  const privateKey = path.join(dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'berth-test', '-f', privateKey]);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return { privateKey, publicKey: readFileSync(`${privateKey}.pub`, 'utf8') };
}

/**
 * Arguments for the stock OpenSSH client into `workspace`: its port, `privateKey` only, strict
 * host-key checking against the host key the agent reported (written to a known_hosts file in a
 * temporary directory, removed at exit), and no interaction.
 */
export function strictSshArgs(workspace: Workspace, privateKey: string): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-kh-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const knownHosts = path.join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[${workspace.ssh.host}]:${workspace.ssh.port} ${workspace.ssh.hostKey}\n`);
  // The very arguments `berth ssh` runs ssh with, made non-interactive.
  const args = sshArgs(workspace, knownHosts, privateKey);
  const destination = args.pop() as string;
  return [...args, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', destination];
}

/** Runs `command` in the workspace with the stock OpenSSH client (see {@link strictSshArgs}). */
export function sshRun(
  workspace: Workspace,
  privateKey: string,
  command: string,
): { code: number; stdout: string; stderr: string } {
  const result = spawnSync('ssh', [...strictSshArgs(workspace, privateKey), command], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
