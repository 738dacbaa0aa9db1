import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { ArchiveReader } from '../../../../agent/backup/archive-reader';
import { ArchiveWriter } from '../../../../agent/backup/archive-writer';
import { ArchiveError, type BackupInfo } from '../../../../agent/backup/format';

const info: BackupInfo = {
  format: 'berth-backup',
  version: 1,
  createdAt: '2026-12-02T08:00:00.000Z',
  berthVersion: 'dev',
  protocol: 2,
  workspace: {
    name: 'web',
    owner: 'alice',
    spec: {
      name: 'web',
      image: 'berth/workspace:dev',
      cpus: 1,
      memory: 1 << 30,
      gpus: 0,
      env: {},
      command: '',
      user: 'dev',
    },
  },
  hostKey: { privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\n…\n', publicKey: 'ssh-ed25519 AAAA' },
  live: false,
};

/** A tar as Docker's archive API makes one: a few entries, then two zero blocks. */
async function dockerTar(): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: 'dev/', type: 'directory', mode: 0o755, uid: 1000, gid: 1000 });
  pack.entry({ name: 'dev/notes.txt', mode: 0o640, uid: 1000, gid: 1000 }, 'hello\n');
  pack.entry({ name: 'dev/big.bin', mode: 0o600 }, Buffer.alloc(200_000, 7));
  pack.entry({ name: 'dev/link', type: 'symlink', linkname: 'notes.txt' });
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Writes a backup of `home` through the writer, fed in uneven chunks. */
async function backupOf(home: Buffer): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let at = 0; at < home.length; at += 7777) parts.push(home.subarray(at, at + 7777));
  const chunks: Buffer[] = [];
  for await (const chunk of Readable.from(parts).pipe(new ArchiveWriter(info))) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Reads `file` in chunks of `size`; returns backup.json and the home's bytes. */
function read(file: Buffer, size = 4096): { info: BackupInfo; home: Buffer; early: BackupInfo | null } {
  const home: Buffer[] = [];
  let early: BackupInfo | null = null;
  const reader = new ArchiveReader(
    (value) => (early = value),
    (bytes) => home.push(Buffer.from(bytes)),
  );
  for (let at = 0; at < file.length; at += size) reader.push(file.subarray(at, at + size));
  return { info: reader.end(), home: Buffer.concat(home), early };
}

describe('agent: backup archive format', () => {
  let docker: Buffer;
  let file: Buffer;
  before(async () => {
    docker = await dockerTar();
    file = await backupOf(docker);
  });

  it('reads back backup.json and exactly the home bytes Docker gave, without its end blocks', () => {
    const { info: got, home, early } = read(file);
    assert.deepEqual(got, info);
    assert.deepEqual(early, info);
    assert.ok(home.equals(docker.subarray(0, docker.length - 1024)));
  });

  it('is a plain tar: backup.json first, the home, the manifest last', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-archive-'));
    try {
      writeFileSync(path.join(dir, 'b.tar'), file);
      const names = execFileSync('tar', ['tf', path.join(dir, 'b.tar')], { encoding: 'utf8' })
        .trim()
        .split('\n');
      assert.deepEqual(names, [
        'berth/backup.json',
        'dev/',
        'dev/notes.txt',
        'dev/big.bin',
        'dev/link',
        'berth/manifest.json',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a truncated file, saying so', () => {
    for (const length of [100, 2000, file.length - 600, file.length - 1]) {
      assert.throws(
        () => read(file.subarray(0, length)),
        (err: unknown) => err instanceof ArchiveError && /truncated/.test(err.message),
      );
    }
  });

  it('refuses a flipped bit in the home part, naming its checksum', () => {
    const bad = Buffer.from(file);
    const at = 512 * 4 + 100_000;
    bad[at] = (bad[at] ?? 0) ^ 0x01;
    assert.throws(() => read(bad), /the home's files have sha256 [a-f0-9]{64}, the manifest says/);
  });

  it('refuses a flipped bit in backup.json', () => {
    const bad = Buffer.from(file);
    const at = file.indexOf('OPENSSH');
    bad[at] = (bad[at] ?? 0) ^ 0x20;
    assert.throws(() => read(bad), /backup\.json has sha256 .* the manifest says/);
  });

  it('refuses a file that is not a backup', () => {
    assert.throws(() => read(docker), /not a Berth backup/);
  });

  it('refuses a Docker stream that does not end as a tar', async () => {
    await assert.rejects(backupOf(docker.subarray(0, docker.length - 512)), /did not end as a tar/);
  });
});
