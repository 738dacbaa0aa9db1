import { z } from 'zod';
import { WorkspaceName, WorkspaceSpec, UserName } from '../../protocol';

/**
 * A Berth backup is one plain tar file (`tar tvf` lists it):
 *
 * 1. `berth/backup.json` ({@link BackupInfo}): the definition, owner, name, the SSH host key pair,
 *    Berth's and the protocol's versions;
 * 2. the home's entries exactly as Docker's archive API gave them (`<user>/…`, numeric owners, modes,
 *    links and times kept), without Docker's two closing zero blocks;
 * 3. `berth/manifest.json` ({@link Manifest}), padded to {@link MANIFEST_BYTES} so that it is found
 *    from the end: the size and sha256 of backup.json and of the home's byte range;
 * 4. the two zero blocks that end a tar.
 */

/** Names of Berth's own entries. */
export const INFO_NAME = 'berth/backup.json';
export const MANIFEST_NAME = 'berth/manifest.json';
/** The manifest entry's fixed size (JSON, padded with spaces). */
export const MANIFEST_BYTES = 1024;
/** The most backup.json may take (it holds a spec and a key pair: a few KiB). */
export const MAX_INFO_BYTES = 256 * 1024;

const Sha256 = z.string().regex(/^[a-f0-9]{64}$/);

/** `berth/backup.json`. Holds the workspace's private host key: the file is written 0600. */
export const BackupInfo = z.object({
  format: z.literal('berth-backup'),
  version: z.literal(1),
  createdAt: z.string(),
  berthVersion: z.string(),
  protocol: z.number().int(),
  workspace: z.object({ name: WorkspaceName, owner: UserName, spec: WorkspaceSpec }),
  hostKey: z.object({ privateKey: z.string().max(16 * 1024), publicKey: z.string().max(4096) }),
  /** Taken from a running workspace (`--live`): files may have changed while they were read. */
  live: z.boolean(),
});
export type BackupInfo = z.infer<typeof BackupInfo>;

/** `berth/manifest.json`: where each part lies and what its bytes hash to. */
export const Manifest = z.object({
  format: z.literal('berth-backup-manifest'),
  version: z.literal(1),
  info: z.object({ bytes: z.number().int().min(0), sha256: Sha256 }),
  home: z.object({ offset: z.number().int().min(0), bytes: z.number().int().min(0), sha256: Sha256 }),
});
export type Manifest = z.infer<typeof Manifest>;

/** A backup file that is not what it should be; the message says what is wrong. */
export class ArchiveError extends Error {
  override readonly name = 'ArchiveError';
}
