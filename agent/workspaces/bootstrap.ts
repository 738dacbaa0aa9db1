import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import initScript from '../image/berth-init';
import { writeFileAtomic } from '../../util/files';
import type { WorkspaceRecord } from '../state/record';

/** Quotes a value for a POSIX shell: `it's` becomes `'it'\''s'`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The per-workspace directory in the state dir, mounted read-only at /.berth in the container: the
 * init script (so any image with sshd and a shell works), the host key made once at creation, the
 * owner's authorized keys (rewritten live when a key is added) and the spec's environment.
 */
export class Bootstrap {
  constructor(private readonly root: string) {}

  /** Host directory of a workspace. */
  dir(id: string): string {
    return path.join(this.root, id);
  }

  /** Creates the directory with the workspace's host key; called once, at creation. */
  async create(id: string, privateKey: string, publicKey: string): Promise<void> {
    const dir = this.dir(id);
    await fs.mkdir(dir, { recursive: true, mode: 0o755 });
    await writeFileAtomic(path.join(dir, 'ssh_host_ed25519_key'), privateKey, { mode: 0o600 });
    await writeFileAtomic(path.join(dir, 'ssh_host_ed25519_key.pub'), `${publicKey}\n`, { mode: 0o644 });
  }

  /**
   * Rewrites the init script and environment from the current spec; before every container start
   * (the authorized keys are written apart, see WorkspaceService#writeKeys).
   */
  async refresh(record: WorkspaceRecord): Promise<void> {
    const dir = this.dir(record.id);
    const env = Object.entries(record.spec.env).map(([key, value]) => `export ${key}=${shellQuote(value)}\n`);
    await fs.mkdir(dir, { recursive: true, mode: 0o755 });
    await Promise.all([
      writeFileAtomic(path.join(dir, 'init'), initScript, { mode: 0o755 }),
      // The spec's env holds secrets: the agent's user alone reads it (root in the container does too).
      writeFileAtomic(path.join(dir, 'env'), env.join(''), { mode: 0o600 }),
    ]);
  }

  /** Replaces the authorized keys; sshd reads them at every login, so this takes effect at once. */
  async writeKeys(id: string, keys: readonly string[]): Promise<void> {
    await fs.mkdir(this.dir(id), { recursive: true, mode: 0o755 });
    await writeFileAtomic(path.join(this.dir(id), 'authorized_keys'), keys.map((k) => `${k}\n`).join(''), {
      mode: 0o644,
    });
  }

  /**
   * Removes directories no workspace claims (a crash between making a workspace's directory and
   * storing its record leaves one behind), and narrows to 0600 the env files older agents wrote 0644.
   */
  async prune(known: ReadonlySet<string>): Promise<void> {
    const entries = await fs.readdir(this.root).catch(() => [] as string[]);
    await Promise.all(
      entries.map((id) =>
        known.has(id)
          ? fs.chmod(path.join(this.dir(id), 'env'), 0o600).catch((err: NodeJS.ErrnoException) => {
              if (err.code !== 'ENOENT') throw err;
            })
          : this.remove(id),
      ),
    );
  }

  /** Removes the directory (after the workspace is deleted). */
  async remove(id: string): Promise<void> {
    await fs.rm(this.dir(id), { recursive: true, force: true });
  }
}
