import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withFileLock, writeFileAtomic } from '../../../util/files';
import { readWhileRewriting } from '../../support/concurrent-read';

/** A pid that ran and has exited: nothing runs under it (until the system reuses it). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('withFileLock: one read-modify-write at a time across processes', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-lock-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** Runs `count` holders at once and returns the most that were inside at the same time. */
  async function mostInside(file: string, count: number): Promise<number> {
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: count }, () =>
        withFileLock(file, async () => {
          most = Math.max(most, ++inside);
          await new Promise((resolve) => setImmediate(resolve));
          await fs.appendFile(file, 'x');
          inside--;
        }),
      ),
    );
    return most;
  }

  it('lets one holder in at a time', async () => {
    const file = path.join(dir, 'users.json');
    assert.equal(await mostInside(file, 20), 1);
    assert.equal((await fs.readFile(file, 'utf8')).length, 20);
  });

  it('takes over a lock left by a dead process while many wait, still one holder at a time', async () => {
    for (let round = 0; round < 5; round++) {
      const file = path.join(dir, `users-${round}.json`);
      await fs.writeFile(`${file}.lock`, String(deadPid()));
      assert.equal(await mostInside(file, 20), 1, `round ${round}: two holders were inside at once`);
      await assert.rejects(fs.stat(`${file}.lock`), /ENOENT/, 'the lock is released');
    }
  });
});

describe('writeFileAtomic: a file replaced whole', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-atomic-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('replaces files atomically: a concurrent reader sees only whole versions, and no temp file stays', async () => {
    const file = path.join(dir, 'config');
    const versions = ['a', 'b'].map((c) => `# version ${c}\n${`Host ${c}\n  User ${c}\n`.repeat(4000)}`);
    await fs.writeFile(file, versions[0]!);
    const seen = await readWhileRewriting(file, versions, async () => {
      for (let i = 1; i <= 200; i++) {
        await writeFileAtomic(file, versions[i % 2]!, { keepMode: true, followSymlinks: true });
      }
    });
    assert.ok(seen.reads > 0, 'the reader read while the file was rewritten');
    assert.deepEqual(seen.torn, [], 'every read is one whole version');
    assert.deepEqual(await fs.readdir(dir), ['config']);
  });
});
