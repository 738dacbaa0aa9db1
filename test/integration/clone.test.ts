import * as assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { AgentClient } from '../../client/agent-client';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { docker, dockerBuild } from '../support/docker';
import { sshKeyPair } from '../support/ssh';
import { useAgent } from '../support/use-agent';

// Issue 15, "Clone on create": a repository cloned into the home as the workspace's user, once per
// home, credentials from a secret and never in .git/config; a failed clone leaves the workspace
// running with the failure in its message, and berth clone retries. The git servers are the
// workspace's own: a bare repository in its image (file://) and its own sshd on 127.0.0.1:22 (ssh://).

/** The base image with a bare repository at /srv/repo.git: README on main, DEV on the branch dev. */
const IMAGE = 'berth-test-git:latest';
const DOCKERFILE = `FROM berth-workspace:latest
RUN set -e; git init -q -b main /tmp/src; cd /tmp/src; echo 'hello from the repo' > README; \\
    git add README; git -c user.name=t -c user.email=t@example.com commit -qm one; \\
    git checkout -qb dev; echo dev > DEV; git add DEV; git -c user.name=t -c user.email=t@example.com commit -qm two; \\
    git clone -q --bare /tmp/src /srv/repo.git; chmod -R a+rX /srv/repo.git; cd /; rm -rf /tmp/src; \\
    git config --system --add safe.directory /srv/repo.git; \\
    for kind in script links; do \\
      git init -q -b main /tmp/$kind; cd /tmp/$kind; \\
      if [ $kind = script ]; then printf '#!/bin/sh\\necho installing\\ntouch "$HOME/installed-by-script"\\n' > install.sh; \\
      else echo 'alias ll="ls -l"' > .berthrc; mkdir .config; echo x > .config/tool; echo 'not linked' > README; fi; \\
      git add -A; git -c user.name=t -c user.email=t@example.com commit -qm dots; \\
      git clone -q --bare /tmp/$kind /srv/dots-$kind.git; cd /; rm -rf /tmp/$kind; \\
      git config --system --add safe.directory /srv/dots-$kind.git; \\
    done; chmod -R a+rX /srv
`;
const SMALL = ['--image', IMAGE, '--memory', '256m', '--cpus', '0.5'];

describe('clone on create: berth create --clone, berth clone', function () {
  this.timeout(180_000);
  const agent = useAgent();
  let env: NodeJS.ProcessEnv;
  let alice: AgentClient;
  const ok = (args: string[]) => {
    const run = berth(args, env);
    assert.equal(run.code, 0, `berth ${args.join(' ')}: ${run.stderr}${run.stdout}`);
    return run;
  };
  const inside = (name: string, script: string) => ok(['exec', name, '--', 'sh', '-c', script]).stdout;

  before(async () => {
    dockerBuild(IMAGE, DOCKERFILE);
    env = cliEnv(agent.url, agent.token('alice'));
    alice = await agent.connect(agent.token('alice'));
  });
  after(() => docker('rmi', '-f', IMAGE));

  it('clones into ~/<repo> as the workspace user, once: a stop and start keeps what was changed', async () => {
    ok(['create', 'app', ...SMALL, '--clone', 'file:///srv/repo.git']);
    assert.equal(inside('app', 'cat ~/repo/README'), 'hello from the repo\n');
    assert.equal(inside('app', 'stat -c %U ~/repo/README'), 'dev\n');
    inside('app', 'echo edited > ~/repo/README');
    ok(['stop', 'app']);
    ok(['start', 'app']);
    assert.equal(inside('app', 'cat ~/repo/README'), 'edited\n', 'cloned again over the user’s work');
  });

  it('checks out --branch into --into', () => {
    ok(['create', 'dev', ...SMALL, '--clone', 'file:///srv/repo.git', '--branch', 'dev', '--into', 'src/app']);
    assert.equal(inside('dev', 'cat ~/src/app/DEV; git -C ~/src/app branch --show-current'), 'dev\ndev\n');
  });

  it('keeps a workspace whose clone fails running, says why, and berth clone retries', async () => {
    const run = ok(['create', 'later', ...SMALL, '--clone', 'file:///tmp/later.git']);
    assert.match(run.stderr, /clone: fatal: .*later\.git/);
    let { workspace } = await alice.request('workspace.get', { name: 'later' });
    assert.equal(workspace.state, 'running');
    assert.match(workspace.message ?? '', /the clone of file:\/\/\/tmp\/later\.git failed with exit code 128/);

    inside('later', 'git clone -q --bare /srv/repo.git /tmp/later.git');
    ok(['clone', 'later']);
    assert.equal(inside('later', 'cat ~/later/README'), 'hello from the repo\n');
    ({ workspace } = await alice.request('workspace.get', { name: 'later' }));
    assert.equal(workspace.message, undefined);
    const again = berth(['clone', 'later'], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);
  });

  it('berth clone drops only the clone’s part of the message, in a record from before failedStage too', async () => {
    ok(['create', 'kept', ...SMALL, '--clone', 'file:///tmp/kept.git']);
    ok(['create', 'older', ...SMALL, '--clone', 'file:///tmp/older.git']);
    // As a start without its optional GPUs leaves it: that part joined before the clone's failure.
    const gpus = 'started without GPUs (they are optional for it): none could be had';
    await agent.stop();
    const file = path.join(agent.stateDir, 'workspaces.json');
    const state = JSON.parse(await fs.readFile(file, 'utf8')) as {
      workspaces: { name: string; message?: string; failedStage?: string }[];
    };
    for (const record of state.workspaces) {
      if (record.name !== 'kept' && record.name !== 'older') continue;
      assert.equal(record.failedStage, 'clone');
      record.message = `${gpus}; ${record.message}`;
      // `older` is a record from before failedStage existed.
      if (record.name === 'older') delete record.failedStage;
    }
    await fs.writeFile(file, JSON.stringify(state));
    await agent.restart();
    alice = await agent.connect(agent.token('alice'));
    for (const name of ['kept', 'older']) {
      inside(name, `git clone -q --bare /srv/repo.git /tmp/${name}.git`);
      ok(['clone', name]);
      const { workspace } = await alice.request('workspace.get', { name });
      assert.equal(workspace.message, gpus, `${name}: the other part stays, the clone’s goes`);
    }
  });

  it('clones over SSH with a key secret, which never lands in .git/config; without it the clone is refused', async () => {
    const key = sshKeyPair();
    await alice.request('user.addKey', { key: key.publicKey });
    const privateKey = readFileSync(key.privateKey, 'utf8');
    await alice.request('secret.set', { name: 'clone-key', value: privateKey });
    // The workspace's own sshd, as the git server: the key lets alice's workspace user in.
    const url = 'ssh://dev@127.0.0.1:22/srv/repo.git';

    ok(['create', 'nokey', ...SMALL, '--clone', url]);
    const { workspace: refused } = await alice.request('workspace.get', { name: 'nokey' });
    assert.match(refused.message ?? '', /the clone of ssh:.* failed with exit code 128/);

    ok(['create', 'keyed', ...SMALL, '--clone', url, '--clone-secret', 'clone-key']);
    assert.equal(inside('keyed', 'cat ~/repo/README'), 'hello from the repo\n');
    const config = inside('keyed', 'cat ~/repo/.git/config');
    assert.doesNotMatch(config, /sshCommand|credential|secrets|PRIVATE KEY/);
    const { workspace } = await alice.request('workspace.get', { name: 'keyed' });
    assert.deepEqual(workspace.spec.clone, { url, secret: 'clone-key' });
    assert.ok(JSON.stringify(workspace).includes('clone-key'));
    assert.ok(!JSON.stringify(workspace).includes('PRIVATE KEY'));
  });

  it('refuses a clone secret that is no secret file of the workspace, and hostile URLs, saying what to do', async () => {
    await assert.rejects(
      alice.request('workspace.create', {
        name: 'bad',
        image: IMAGE,
        clone: { url: 'https://example.invalid/r.git', secret: 'clone-key' },
      }),
      /clone\.secret: "clone-key" must be one of the workspace's secrets with a file target/,
    );
    const run = berth(['create', 'bad', ...SMALL, '--clone=--upload-pack=touch /tmp/x'], env);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /must be a (git )?URL/);
    assert.match(berth(['create', 'bad', ...SMALL, '--into', 'x'], env).stderr, /--into goes with --clone URL/);
  });
  it('installs the user’s dotfiles in each new home: their install script, or their dotfiles linked; a failure is shown', async () => {
    const bob = cliEnv(agent.url, agent.token('bob'));
    const as = (args: string[]) => {
      const run = berth(args, bob);
      assert.equal(run.code, 0, `berth ${args.join(' ')}: ${run.stderr}`);
      return run;
    };
    assert.match(as(['config', 'get']).stdout, /^dotfiles {2}\(none\)$/m);
    as(['config', 'set', 'dotfiles', 'file:///srv/dots-script.git']);
    const created = as(['create', 'scripted', ...SMALL]);
    assert.match(created.stderr, /dotfiles: installing/);
    as(['exec', 'scripted', '--', 'test', '-e', '/home/dev/installed-by-script']);

    as(['config', 'set', 'dotfiles', 'file:///srv/dots-links.git']);
    as(['create', 'linked', ...SMALL]);
    const listed = as([
      'exec',
      'linked',
      '--',
      'sh',
      '-c',
      'readlink ~/.berthrc ~/.config; test -e ~/README || echo no-readme',
    ]);
    assert.equal(listed.stdout, '/home/dev/.dotfiles/.berthrc\n/home/dev/.dotfiles/.config\nno-readme\n');

    as(['config', 'set', 'dotfiles', 'file:///srv/missing.git']);
    as(['create', 'undotted', ...SMALL]);
    const shown = as(['get', 'undotted']).stdout;
    assert.match(shown, /^State +running/m);
    assert.match(shown, /the dotfiles from file:\/\/\/srv\/missing\.git failed with exit code 128/);
    as(['config', 'unset', 'dotfiles']);
    assert.match(as(['config', 'get']).stdout, /^dotfiles {2}\(none\)$/m);
    // Each user's own: alice's setting stayed unset through all of bob's.
    assert.match(ok(['config', 'get']).stdout, /^dotfiles {2}\(none\)$/m);
    assert.match(berth(['config', 'set', 'dotfiles', 'ext::sh'], bob).stderr, /must be a git URL/);
  });
});
