import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BerthError } from '../../../../protocol';
import { defaultBackupName, partialPath } from '../../../../client/transfer/backup-file';
import { readBackupHead } from '../../../../client/transfer/restore-file';

/** A ustar header of a regular file, as agent/backup/tar.ts writes it (the reader looks at name and size). */
function header(name: string, size: number): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 100, 'utf8');
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  block.write('0', 156);
  return block;
}

const info = {
  format: 'berth-backup',
  version: 1,
  createdAt: '2026-12-02T10:00:00.000Z',
  berthVersion: '0.1.0',
  protocol: 1,
  workspace: { name: 'web', owner: 'alice', spec: {} },
  hostKey: { privateKey: 'k', publicKey: 'p' },
  live: false,
};

describe('client/transfer: backup files', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(tmpdir(), 'berth-backup-file-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, ...parts: Buffer[]) => {
    const at = path.join(dir, name);
    writeFileSync(at, Buffer.concat(parts));
    return at;
  };

  it('names a backup after the workspace and the local date', () => {
    assert.equal(defaultBackupName('web', new Date(2026, 0, 5, 23, 59)), 'web-2026-01-05.berth-backup');
  });

  it('writes a backup under a name of its own beside the chosen one until it is complete', () => {
    assert.equal(partialPath('/x/web.berth-backup'), '/x/web.berth-backup.partial');
  });

  it('reads the name and owner of the workspace from the start of a backup', async () => {
    const json = Buffer.from(JSON.stringify(info));
    const at = file('ok.berth-backup', header('berth/backup.json', json.length), json, Buffer.alloc(2048));
    assert.deepEqual(await readBackupHead(at), {
      name: 'web',
      owner: 'alice',
      createdAt: '2026-12-02T10:00:00.000Z',
      live: false,
    });
  });

  const refusal = async (at: string, pattern: RegExp) => {
    await assert.rejects(readBackupHead(at), (err: unknown) => {
      assert.ok(err instanceof BerthError);
      assert.match(err.message, pattern);
      return true;
    });
  };

  it('refuses a file that is not a backup, naming the file', async () => {
    await refusal(file('notes.txt', Buffer.from('hello\n'.repeat(200))), /^notes\.txt is not a Berth backup$/);
    await refusal(file('other.tar', header('etc/passwd', 10), Buffer.alloc(512)), /other\.tar is not a Berth backup/);
  });

  it('refuses a backup cut short inside its description', async () => {
    const json = Buffer.from(JSON.stringify(info));
    const at = file('cut.berth-backup', header('berth/backup.json', json.length), json.subarray(0, 20));
    await refusal(at, /cut\.berth-backup is truncated/);
  });

  it('refuses a description that does not read, or names a workspace no name schema takes', async () => {
    const bad = Buffer.from(JSON.stringify({ ...info, workspace: { name: '../etc', owner: 'alice' } }));
    await refusal(file('bad.berth-backup', header('berth/backup.json', bad.length), bad), /is corrupted/);
    const garbage = Buffer.from('{not json');
    await refusal(file('junk.berth-backup', header('berth/backup.json', garbage.length), garbage), /is corrupted/);
  });

  it('says when the file is not there', async () => {
    await assert.rejects(readBackupHead(path.join(dir, 'gone')), /no such file/);
  });
});
