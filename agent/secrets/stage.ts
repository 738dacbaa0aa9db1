import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { SECRETS_DIR } from '../../protocol';
import { writeFileAtomic } from '../../util/files';
import type { WorkspaceRecord } from '../state/record';
import type { SecretVault } from './vault';

/** Quotes a value for a POSIX shell: `it's` becomes `'it'\''s'`. */
const shellQuote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

/**
 * The default directory for the values handed to starting workspaces: in memory (/dev/shm), never in
 * the state directory, one per state directory and user of the agent.
 */
export function defaultSecretsRunDir(stateDir: string): string {
  const tag = createHash('sha256').update(stateDir).digest('hex').slice(0, 12);
  return path.join('/dev/shm', `berth-secrets-${process.getuid?.() ?? 0}-${tag}`);
}

/**
 * Hands a workspace the values of its secrets at each start, without Docker's container env and
 * without the disk: the values are decrypted into `runDir/<id>/mount` (a memory file system, 0700,
 * the agent's user only), which the container mounts read-only at /.berth-secrets; its init copies
 * them into tmpfs files inside the container (see agent/image/README.md). The values stay as staged
 * until the next start, so a changed secret reaches a running workspace only then.
 */
export class SecretStager {
  constructor(
    private readonly vault: SecretVault,
    private readonly runDir: string,
  ) {}

  /** The host directory mounted at /.berth-secrets for `id`. */
  mountDir(id: string): string {
    return path.join(this.runDir, id, 'mount');
  }

  /** Writes the current values for `record` (null and nothing staged when it uses no secrets). */
  async stage(record: WorkspaceRecord): Promise<string | null> {
    const refs = record.spec.secrets ?? [];
    if (!refs.length) {
      await this.remove(record.id);
      return null;
    }
    const values = new Map<string, string>();
    for (const ref of refs) {
      if (!values.has(ref.key)) values.set(ref.key, await this.vault.reveal(record.owner, ref.key));
    }
    const mount = this.mountDir(record.id);
    await fs.rm(mount, { recursive: true, force: true });
    await fs.mkdir(path.join(mount, 'files'), { recursive: true, mode: 0o700 });
    await fs.chmod(this.runDir, 0o700);
    const env: string[] = [];
    const links: string[] = [];
    const execEnv: string[] = [];
    for (const ref of refs) {
      const value = values.get(ref.key) ?? '';
      if (ref.env !== undefined) {
        env.push(`export ${ref.env}=${shellQuote(value)}\n`);
        execEnv.push(`${ref.env}=${value}`);
      } else if (ref.file !== undefined) {
        await writeFileAtomic(path.join(mount, 'files', ref.key), value, { mode: 0o600 });
        if (ref.file !== `${SECRETS_DIR}/${ref.key}`) links.push(`${ref.key} ${ref.file}\n`);
      }
    }
    await writeFileAtomic(path.join(mount, 'env'), env.join(''), { mode: 0o600 });
    await writeFileAtomic(path.join(mount, 'links'), links.join(''), { mode: 0o600 });
    await writeFileAtomic(path.join(this.runDir, record.id, 'exec.json'), JSON.stringify(execEnv), { mode: 0o600 });
    return mount;
  }

  /** The env targets as staged at the last start (`KEY=value`), for commands run through `workspace.exec`. */
  async execEnv(id: string): Promise<string[]> {
    const text = await fs.readFile(path.join(this.runDir, id, 'exec.json'), 'utf8').catch(() => '[]');
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : [];
  }

  /** Removes the directory when no workspace has values staged there (the agent stops). */
  async close(): Promise<void> {
    await fs.rmdir(this.runDir).catch(() => undefined);
  }

  /**
   * Removes what is staged for every workspace `running` does not name: what a killed agent left
   * (its stop, failed start or delete never got to remove it). Run at the agent's start.
   */
  async sweep(running: (id: string) => boolean): Promise<string[]> {
    const entries = await fs.readdir(this.runDir).catch(() => [] as string[]);
    const swept = entries.filter((id) => !running(id));
    for (const id of swept) await this.remove(id);
    return swept;
  }

  /** Removes what was staged for `id` (the workspace stopped or is gone). */
  async remove(id: string): Promise<void> {
    await fs.rm(path.join(this.runDir, id), { recursive: true, force: true });
  }
}
