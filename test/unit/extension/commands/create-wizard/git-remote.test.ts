import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  branchOf,
  cloneUrlOf,
  folderRemote,
  mayNeedCredentials,
  readFolderRemote,
  remotesOf,
  within,
} from '../../../../../extension/commands/create-wizard/git-remote';
import { cloneChoices, cloneSecretChoices } from '../../../../../extension/commands/create-wizard/choices';

describe('create wizard: the open folder’s git remote', () => {
  it('reads each remote’s url from a git config, origin among them, ignoring other sections', () => {
    const config = [
      '[core]',
      '\turl = not-a-remote',
      '[remote "upstream"]',
      '\turl = git@github.com:team/app.git',
      '[remote "origin"]',
      '\tfetch = +refs/heads/*:refs/remotes/origin/*',
      '\turl = "https://github.com/me/app.git" ; a comment',
      '[branch "main"]',
      '\tremote = origin',
    ].join('\n');
    assert.deepEqual(
      [...remotesOf(config)],
      [
        ['upstream', 'git@github.com:team/app.git'],
        ['origin', 'https://github.com/me/app.git'],
      ],
    );
  });

  it('names the checked-out branch, and none on a detached HEAD', () => {
    assert.equal(branchOf('ref: refs/heads/feature/x\n'), 'feature/x');
    assert.equal(branchOf('0123456789abcdef0123456789abcdef01234567\n'), undefined);
  });

  it('offers no local path or file:// remote (the clone runs on the host), drops a password from an HTTPS URL, and refuses what git would run', () => {
    assert.equal(cloneUrlOf('/srv/repo.git'), null);
    assert.equal(cloneUrlOf('../repo.git'), null);
    assert.equal(cloneUrlOf('./repo.git'), null);
    assert.equal(cloneUrlOf('file:///srv/repo.git'), null);
    assert.equal(cloneUrlOf('FILE:///srv/repo.git'), null);
    assert.equal(folderRemote('/srv/repo.git', 'main'), null);
    assert.equal(cloneUrlOf('https://me:s3cret@git.example.com/app.git'), 'https://git.example.com/app.git');
    assert.equal(cloneUrlOf('git@github.com:team/app.git'), 'git@github.com:team/app.git');
    assert.equal(cloneUrlOf('ext::sh -c touch% /tmp/pwned'), null);
    assert.equal(cloneUrlOf('--upload-pack=touch /tmp/x'), null);
  });

  it('drops a password whole, whatever it holds, for every scheme, and an HTTP(S) user', () => {
    assert.equal(cloneUrlOf('https://me:p@ss@git.example.com/x.git'), 'https://git.example.com/x.git');
    assert.equal(cloneUrlOf('http://me:a:b@c@git.example.com/x.git'), 'http://git.example.com/x.git');
    assert.equal(cloneUrlOf('https://token@git.example.com/x.git'), 'https://git.example.com/x.git');
    assert.equal(cloneUrlOf('ssh://me:pw@git.example.com/r.git'), 'ssh://me@git.example.com/r.git');
    assert.equal(cloneUrlOf('ssh://me:p@w@git.example.com:2222/r.git'), 'ssh://me@git.example.com:2222/r.git');
    assert.equal(cloneUrlOf('git://u:pw@git.example.com/r.git'), 'git://u@git.example.com/r.git');
    assert.equal(cloneUrlOf('ssh://git@git.example.com/r.git'), 'ssh://git@git.example.com/r.git');
  });

  it('offers credentials for HTTPS and SSH remotes only, and leaves out a branch a spec refuses', () => {
    assert.equal(mayNeedCredentials('https://h/r.git'), true);
    assert.equal(mayNeedCredentials('git@h:r.git'), true);
    assert.equal(mayNeedCredentials('file:///srv/r.git'), false);
    assert.deepEqual(folderRemote('https://h/r.git', '-evil'), { url: 'https://h/r.git', credentials: true });
  });

  it('reads a real repository’s origin and branch from its files', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-git-remote-'));
    try {
      const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { stdio: 'pipe' });
      git('init', '-q', '-b', 'dev');
      assert.equal(await readFolderRemote(dir), null, 'a repository without a remote offers nothing');
      git('remote', 'add', 'origin', 'https://example.com/team/app.git');
      assert.deepEqual(await readFolderRemote(dir), {
        url: 'https://example.com/team/app.git',
        branch: 'dev',
        credentials: true,
      });
      assert.equal(await readFolderRemote(path.join(dir, '.git')), null, 'not a repository');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  describe('a FIFO where git keeps its files', () => {
    let dir: string;
    const fifos: string[] = [];
    const mkfifo = (file: string) => {
      execFileSync('mkfifo', [file]);
      fifos.push(file);
    };
    const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { stdio: 'pipe' });
    beforeEach(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-git-fifo-'));
      git('init', '-q', '-b', 'dev');
      git('remote', 'add', 'origin', 'https://example.com/team/app.git');
    });
    afterEach(async () => {
      // A reader still blocked on a FIFO (the bug) gets its end of file here, so nothing hangs on.
      for (const fifo of fifos.splice(0)) {
        const writer = await fs.open(fifo, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => null);
        await writer?.close();
      }
      await fs.rm(dir, { recursive: true, force: true });
    });

    it('offers nothing for a FIFO config, without blocking', async () => {
      await fs.rm(path.join(dir, '.git', 'config'));
      mkfifo(path.join(dir, '.git', 'config'));
      assert.equal(await readFolderRemote(dir), null);
    });

    it('offers the remote without a branch for a FIFO HEAD, without blocking', async () => {
      await fs.rm(path.join(dir, '.git', 'HEAD'));
      mkfifo(path.join(dir, '.git', 'HEAD'));
      assert.deepEqual(await readFolderRemote(dir), { url: 'https://example.com/team/app.git', credentials: true });
    });

    it('ignores a FIFO commondir, and offers nothing for a gitdir: file pointing at a FIFO', async () => {
      mkfifo(path.join(dir, '.git', 'commondir'));
      assert.deepEqual(await readFolderRemote(dir), {
        url: 'https://example.com/team/app.git',
        branch: 'dev',
        credentials: true,
      });
      const worktree = path.join(dir, 'linked');
      await fs.mkdir(worktree);
      mkfifo(path.join(dir, 'pointer'));
      await fs.writeFile(path.join(worktree, '.git'), `gitdir: ${path.join(dir, 'pointer')}\n`);
      assert.equal(await readFolderRemote(worktree), null);
      const dotGitFifo = path.join(dir, 'fifo-dot-git');
      await fs.mkdir(dotGitFifo);
      mkfifo(path.join(dotGitFifo, '.git'));
      assert.equal(await readFolderRemote(dotGitFifo), null);
    });

    it('bounds the read the wizard waits on: one that never answers offers nothing', async () => {
      assert.equal(await within(new Promise<never>(() => {}), 10), null);
      assert.equal(await within(Promise.resolve('remote'), 60_000), 'remote');
    });
  });

  it('lists clone and don’t clone, and the secrets by name only', () => {
    const choices = cloneChoices({ url: 'https://h/team/app.git', branch: 'dev', credentials: true });
    assert.equal(choices[0]?.label, '$(repo-clone) Clone https://h/team/app.git into the workspace');
    assert.equal(choices[0]?.description, 'branch dev');
    assert.match(choices[0]?.detail ?? '', /~\/app/);
    assert.deepEqual(
      choices.map((c) => c.value),
      [{ url: 'https://h/team/app.git', branch: 'dev' }, null],
    );
    assert.deepEqual(
      cloneSecretChoices('https://h/r.git', ['GIT_TOKEN']).map((c) => [c.label, c.value]),
      [
        ['No secret', null],
        ['$(key) GIT_TOKEN', 'GIT_TOKEN'],
      ],
    );
  });
});
