import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { generateEd25519KeyPair } from '../../util/ed25519';
import {
  hasInclude,
  renderKnownHosts,
  managedEntries,
  renderManagedConfig,
  withInclude,
  type HostEntry,
} from './config-text';
import type { JumpHostEntry } from '../../client/ssh/target';
import { readText, writeFileAtomic, type AtomicWriteOptions } from '../../util/files';

/** The user's SSH files are replaced keeping their mode and any symlink (dotfile managers). */
const USER_FILE: AtomicWriteOptions = { keepMode: true, followSymlinks: true, makeParent: true };

/**
 * The SSH files Berth manages under ~/.ssh/berth/: the extension's own key pair (made once), one
 * Host block per workspace, and the pinned host keys. The user's ~/.ssh/config is touched only to add
 * one Include line, once, with their consent.
 */
export class ManagedSsh {
  readonly dir: string;
  readonly configFile: string;
  readonly knownHostsFile: string;
  readonly keyFile: string;
  readonly userConfigFile: string;

  constructor(home: string) {
    this.dir = path.join(home, '.ssh', 'berth');
    this.configFile = path.join(this.dir, 'config');
    this.knownHostsFile = path.join(this.dir, 'known_hosts');
    this.keyFile = path.join(this.dir, 'id_ed25519');
    this.userConfigFile = path.join(home, '.ssh', 'config');
  }

  /** The public key line (`ssh-ed25519 AAAA…`, no comment), making the pair first if there is none (private key 0600). */
  async ensureKey(): Promise<string> {
    const existing = (await readText(`${this.keyFile}.pub`)).trim().split(/\s+/).slice(0, 2).join(' ');
    if (existing && (await readText(this.keyFile)).trim()) return existing;
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const pair = generateEd25519KeyPair('berth-vscode');
    await writeFileAtomic(this.keyFile, pair.privateKey, { ...USER_FILE, mode: 0o600 });
    await writeFileAtomic(`${this.keyFile}.pub`, `${pair.publicKey} berth-vscode\n`, { ...USER_FILE, mode: 0o644 });
    return pair.publicKey;
  }

  /**
   * Rewrites the managed config and known_hosts for these workspaces, and the SSH compute hosts they
   * jump through (only when their text changes).
   */
  async write(entries: readonly HostEntry[], jumps: readonly JumpHostEntry[] = []): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.writeIfChanged(this.knownHostsFile, renderKnownHosts(entries));
    await this.writeIfChanged(this.configFile, renderManagedConfig(entries, jumps));
  }

  /** The workspace blocks the managed files hold now for aliases with one of these prefixes. */
  async entries(prefixes: readonly string[]): Promise<HostEntry[]> {
    if (!prefixes.length) return [];
    return managedEntries(await readText(this.configFile), await readText(this.knownHostsFile), prefixes);
  }

  /** Whether ~/.ssh/config already includes the managed file. */
  async included(): Promise<boolean> {
    return hasInclude(await readText(this.userConfigFile), this.configFile);
  }

  /** Adds the Include line at the top of ~/.ssh/config (idempotent, atomic, mode and content kept). */
  async addInclude(): Promise<void> {
    const updated = withInclude(await readText(this.userConfigFile), this.configFile);
    if (updated !== null) await writeFileAtomic(this.userConfigFile, updated, USER_FILE);
  }

  private async writeIfChanged(file: string, text: string): Promise<void> {
    if ((await readText(file)) !== text) await writeFileAtomic(file, text, USER_FILE);
  }
}
