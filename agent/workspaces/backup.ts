import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { BerthError, PROTOCOL_VERSION, type Workspace, type WorkspaceRef } from '../../protocol';
import { ArchiveWriter } from '../backup/archive-writer';
import type { BackupInfo } from '../backup/format';
import type { User } from '../users';
import { AGENT_VERSION } from '../version';
import { errorMessage } from '../../util/log';
import { publicKeyOfPrivate } from '../../util/ed25519';
import { pullIfMissing } from './bring-up';
import { reportProgress, type OpContext } from './operation';
import type { WorkspaceService } from './service';

/** A backup file coming in (agent/server/backup-handlers.ts reads and checks it as it streams). */
export interface IncomingBackup {
  /** backup.json, once read (not yet verified: the end of the file does that). */
  info: Promise<BackupInfo>;
  /** The home's tar stream, end blocks included, ending only once the whole file checked out. */
  home: Readable;
  /** Resolves when the whole file has arrived and every checksum matched; rejects with what is wrong. */
  verified: Promise<void>;
}

/**
 * Backup and restore of workspaces: the home through Docker's archive API on the workspace's own
 * container (running or stopped, owners, modes, links and times kept), the definition and the host
 * key from the agent's records.
 */
export class Backups {
  constructor(private readonly service: WorkspaceService) {}

  /**
   * Hands `send` the backup file of the workspace as a stream and resolves once it is sent. A running
   * workspace is stopped for a consistent copy (unless `live`) and started again afterwards, also
   * when the backup fails or is cancelled. One operation: nothing else runs on it meanwhile.
   */
  async backup(
    user: User,
    ref: WorkspaceRef,
    live: boolean,
    ctx: OpContext,
    send: (file: Readable) => Promise<number>,
  ): Promise<{ bytes: number; stopped: boolean }> {
    const { runtime, bootstrap, config, bus } = this.service.deps;
    const record = this.service.resolve(user, ref);
    return this.service.exclusive(record, 'backing up', async () => {
      const status = await runtime.inspect(record.id);
      if (!status) {
        throw new BerthError(
          'conflict',
          `"${record.name}" is ${record.state} and has no container to copy its home from`,
        );
      }
      const stop = status.running && !live;
      if (stop) {
        reportProgress(bus, record, ctx, 'stopping', 'Stopping it for a consistent copy (--live copies it running)');
        await runtime.stopContainer(record.id, config.stopTimeoutSeconds);
      }
      try {
        const privateKey = await fs.readFile(path.join(bootstrap.dir(record.id), 'ssh_host_ed25519_key'), 'utf8');
        const info: BackupInfo = {
          format: 'berth-backup',
          version: 1,
          createdAt: new Date().toISOString(),
          berthVersion: AGENT_VERSION,
          protocol: PROTOCOL_VERSION,
          workspace: { name: record.name, owner: record.owner, spec: record.spec },
          hostKey: { privateKey, publicKey: record.hostKey },
          live: status.running && live,
        };
        const home = await runtime.readArchive(record.id, `/home/${record.spec.user}`);
        const file = new ArchiveWriter(info);
        home.once('error', (err) => file.destroy(err));
        home.pipe(file);
        try {
          return { bytes: await send(file), stopped: stop };
        } finally {
          home.unpipe(file);
          home.destroy();
          file.destroy();
        }
      } finally {
        if (stop) await this.startAgain(record.id, ctx);
      }
    });
  }

  /**
   * Starts again a workspace the backup stopped, as any start does (its message, the lifecycle
   * commands after `waitFor`); a failure marks it failed, with the reason.
   */
  private async startAgain(id: string, ctx: OpContext): Promise<void> {
    const record = this.service.deps.store.get(id);
    if (!record) return;
    // Not under the request's signal: a cancelled backup still starts the workspace again.
    const again: OpContext = {
      requestId: ctx.requestId,
      ...(ctx.connectionId ? { connectionId: ctx.connectionId } : {}),
    };
    try {
      await this.service.bringUpOrFail(record, again);
    } catch (err) {
      await this.service
        .setState(record, 'failed', `did not start again after a backup: ${errorMessage(err)}`)
        .catch(() => undefined);
    }
  }

  /**
   * Recreates a workspace of `user`'s from `incoming`, named `name` or as in the backup: its home
   * goes into a new volume through a created, not yet started container, and the workspace is
   * recorded only once the whole file checked out; any failure removes what was made.
   */
  async restore(user: User, name: string | undefined, incoming: IncomingBackup, ctx: OpContext): Promise<Workspace> {
    const { runtime, bootstrap, config, bus, store } = this.service.deps;
    // A restore fills the disk as a create does: refused over the owner's quota.
    this.service.deps.disk?.requireUnderQuota(user.name);
    const info = await incoming.info;
    // The host key goes into clients' known_hosts: it must be the key of the pair, one plain line.
    const publicKey = publicKeyOfPrivate(info.hostKey.privateKey);
    if (!publicKey || publicKey !== info.hostKey.publicKey.split(' ').slice(0, 2).join(' ')) {
      throw new BerthError(
        'invalid_params',
        "the backup is refused: its SSH host key pair does not match (the public key is not the private key's); it was altered",
      );
    }
    const target = name ?? info.workspace.name;
    if (store.find(user.name, target)) {
      throw new BerthError(
        'already_exists',
        `you already have a workspace called "${target}"; restore it under another name (--name NEW) or delete that one first`,
      );
    }
    // GPUs are chosen by this host's rules: UUIDs of the old host mean nothing here.
    const spec = { ...info.workspace.spec };
    delete spec.gpuUuids;
    // Refused now rather than after the whole home came in: no GPUs free for it, or past the quota.
    await this.service.deps.gpus.requireFree(user.name, { ...spec, name: target });
    return this.service.restore(user, { ...spec, name: target }, ctx, {
      hostKey: { privateKey: info.hostKey.privateKey, publicKey },
      fill: async (record) => {
        // Before any byte of the home is read: the unpack container below needs the image.
        await pullIfMissing(this.service.deps, record, ctx);
        reportProgress(bus, record, ctx, 'creating-volume', 'Restoring the home into a new volume');
        await runtime.ensureVolume(record);
        // A container made only to unpack into (never started): the bring-up replaces it, since its hash differs.
        await runtime.createContainer({
          record,
          specHash: 'restoring',
          bootstrapDir: bootstrap.dir(record.id),
          gpuMode: config.gpu.mode,
        });
        await Promise.all([runtime.writeArchive(record.id, '/home', incoming.home), incoming.verified]);
      },
    });
  }
}
