import * as assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AgentClient } from '../../client/agent-client';
import type { BerthError } from '../../protocol';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { docker, dockerExists } from '../support/docker';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

const REBUILT = { context: '/tmp/volumes-test', dockerfile: 'Dockerfile', args: {}, hash: 'a'.repeat(64) };

describe('agent: named volumes and host binds (issue 13)', function () {
  this.timeout(300_000);
  // A host folder the admin allows read-only, with a file in it and a link out of it.
  const allowed = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'berth-allowed-')));
  mkdirSync(path.join(allowed, 'sets'));
  writeFileSync(path.join(allowed, 'sets', 'hello.txt'), 'from the host\n');
  symlinkSync('/etc', path.join(allowed, 'escape'));
  after(() => rmSync(allowed, { recursive: true, force: true }));
  const agent = useAgent({ args: ['--allow-bind', `${allowed}:ro`] });
  let alice: AgentClient;
  let bob: AgentClient;
  let aliceEnv: NodeJS.ProcessEnv;
  let bobEnv: NodeJS.ProcessEnv;

  before(async () => {
    alice = await agent.connect(agent.token('alice'));
    bob = await agent.connect(agent.token('bob'));
    aliceEnv = cliEnv(agent.url, agent.token('alice'));
    bobEnv = cliEnv(agent.url, agent.token('bob'));
  });

  /** `sh -c script` in workspace `name` as its user, through `berth exec`. */
  const sh = (env: NodeJS.ProcessEnv, name: string, script: string) =>
    berth(['exec', name, '--', 'sh', '-c', script], env);

  const data = [{ name: 'data', target: '/data' }];

  it('keeps a file in a named volume across a rebuild, and across rm and a create with the same volume', async () => {
    const { workspace } = await alice.request('workspace.create', { name: 'vol-a', volumes: data });
    assert.equal(sh(aliceEnv, 'vol-a', 'echo kept > /data/proof').code, 0);
    const before = docker('inspect', '-f', '{{.Id}}', `berth-${workspace.id}`);

    await alice.request('workspace.rebuild', { name: 'vol-a', image: workspace.spec.image, build: REBUILT });
    assert.notEqual(docker('inspect', '-f', '{{.Id}}', `berth-${workspace.id}`), before, 'a new container');
    assert.equal(sh(aliceEnv, 'vol-a', 'cat /data/proof').stdout, 'kept\n');

    const rm = berth(['rm', 'vol-a', '--delete-data', '--now', '--yes'], aliceEnv);
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(rm.stdout, /Kept your named volume data: they outlive workspaces/);
    assert.equal(dockerExists('volume', `berth-${workspace.id}-home`), false, 'the home went with --delete-data');

    await alice.request('workspace.create', { name: 'vol-b', volumes: data });
    assert.equal(sh(aliceEnv, 'vol-b', 'cat /data/proof').stdout, 'kept\n');
  });

  it("never gives another user's workspace the volume of the same name", async () => {
    await bob.request('workspace.create', { name: 'vol-bob', volumes: data });
    const read = sh(bobEnv, 'vol-bob', 'ls -A /data');
    assert.equal(read.code, 0, read.stderr);
    assert.equal(read.stdout, '', "bob's data is a volume of his own, empty");
    const names = docker('volume', 'ls', '-q', '--filter', 'label=dev.berth.volume=data').split('\n');
    assert.equal(names.filter((name) => /-(alice|bob)\.data$/.test(name)).length, 2, names.join(', '));
  });

  it('mounts an allow-listed host folder read-only when the admin allows it read-only', async () => {
    const volumes = [{ bind: path.join(allowed, 'sets'), target: '/datasets' }];
    await alice.request('workspace.create', { name: 'vol-bind', volumes });
    assert.equal(sh(aliceEnv, 'vol-bind', 'cat /datasets/hello.txt').stdout, 'from the host\n');
    const write = sh(aliceEnv, 'vol-bind', 'sudo -n touch /datasets/mine');
    assert.notEqual(write.code, 0);
    assert.match(write.stderr, /Read-only file system/);
  });

  it("mounts a devcontainer.json's volume and allow-listed bind mounts", async () => {
    const project = mkdtempSync(path.join(os.tmpdir(), 'berth-dc-mounts-'));
    try {
      mkdirSync(path.join(project, '.devcontainer'));
      const definition = {
        image: 'berth-workspace:latest',
        mounts: [
          'source=data,target=/data,type=volume',
          { source: path.join(allowed, 'sets'), target: '/sets', type: 'bind' },
        ],
      };
      writeFileSync(path.join(project, '.devcontainer', 'devcontainer.json'), JSON.stringify(definition));
      const created = berth(['create', 'vol-dc', '--devcontainer', project, '--quiet'], aliceEnv);
      assert.equal(created.code, 0, created.stderr);
      const read = sh(aliceEnv, 'vol-dc', 'echo mine > /data/dc && cat /data/dc /sets/hello.txt');
      assert.equal(read.stdout, 'mine\nfrom the host\n', read.stderr);
      const shown = berth(['get', 'vol-dc'], aliceEnv).stdout;
      assert.match(shown, /Volumes +data → \/data, host .*\/sets → \/sets/);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it('applies a workspace.yaml with ports and volumes, prints them back, and says a volume change recreates', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-yaml-volumes-'));
    try {
      const file = path.join(dir, 'workspace.yaml');
      writeFileSync(file, 'name: vol-yaml\nports: [8888]\nvolumes:\n  - yaml-data:/data\n');
      const created = berth(['apply', '-f', file, '--quiet'], aliceEnv);
      assert.equal(created.code, 0, created.stderr);
      assert.equal(sh(aliceEnv, 'vol-yaml', 'touch /data/ok && echo yes').stdout, 'yes\n');
      const printed = berth(['get', 'vol-yaml', '-o', 'yaml'], aliceEnv).stdout;
      assert.match(printed, /\nports:\n {2}- 8888\nvolumes:\n {2}- yaml-data:\/data\n/);
      writeFileSync(
        file,
        printed.replace('- yaml-data:/data', `- yaml-data:/data\n  - ${path.join(allowed, 'sets')}:/sets`),
      );
      const changed = berth(['apply', '-f', file, '--quiet'], aliceEnv);
      assert.equal(changed.code, 0, changed.stderr);
      assert.match(changed.stdout, /volumes +\[yaml-data:\/data\] → \[yaml-data:\/data, .*sets:\/sets\]/);
      assert.match(changed.stdout, /volumes change: they need a new container/);
      assert.match(changed.stdout, /the running container is recreated/);
      assert.equal(sh(aliceEnv, 'vol-yaml', 'ls /data /sets').stdout, '/data:\nok\n\n/sets:\nhello.txt\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('derives a workspace.yaml from a devcontainer.json (berth init --from-devcontainer) that apply creates', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-init-dc-'));
    try {
      mkdirSync(path.join(dir, '.devcontainer'));
      const json = path.join(dir, '.devcontainer', 'devcontainer.json');
      writeFileSync(
        json,
        '{ "image": "berth-workspace:latest", // comments are fine\n "mounts": ["source=init-data,target=/data,type=volume"], "forwardPorts": [8888], "postStartCommand": "true" }',
      );
      const file = path.join(dir, 'workspace.yaml');
      const init = berth(['init', 'vol-init', '-f', file, '--from-devcontainer', dir], aliceEnv);
      assert.equal(init.code, 0, init.stderr);
      assert.match(init.stderr, /warning: postStartCommand: not carried/);
      const again = berth(['init', 'vol-init', '-f', file, '--from-devcontainer', dir], aliceEnv);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /exists; edit it, or overwrite it with --force/);
      const applied = berth(['apply', '-f', file, '--quiet'], aliceEnv);
      assert.equal(applied.code, 0, applied.stderr);
      assert.equal(sh(aliceEnv, 'vol-init', 'touch /data/x && echo ok').stdout, 'ok\n');
      writeFileSync(json, '{ "image": "berth-workspace:latest", "mounts": ["type=tmpfs,target=/t"] }');
      const refused = berth(['init', 'vol-init2', '-f', `${file}.2`, '--from-devcontainer', json], aliceEnv);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /refused: .*mounts\[0\]: type=tmpfs: not supported/);
      assert.equal(existsSync(`${file}.2`), false, 'nothing written');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a Docker volume of the name made without its labels, and reports named volumes as no orphans', async () => {
    const agentId = readFileSync(path.join(agent.stateDir, 'agent-id'), 'utf8').trim();
    const handMade = `berth-vol-${agentId}-alice.hand-made`;
    docker('volume', 'create', handMade);
    try {
      const volumes = [{ name: 'hand-made', target: '/hand' }];
      await assert.rejects(alice.request('workspace.create', { name: 'vol-hand', volumes }), (err: BerthError) => {
        assert.equal(err.code, 'conflict');
        assert.match(err.message, /exists but was not made by Berth for alice; it is not mounted/);
        return true;
      });
    } finally {
      docker('volume', 'rm', '-f', handMade);
    }
    await alice.request('workspace.create', { name: 'vol-orphan', volumes: [{ name: 'kept', target: '/kept' }] });
    await alice.request('workspace.delete', { name: 'vol-orphan', deleteData: true, now: true });
    // The reconciler lists orphans as the agent starts: the kept named volume is none.
    await agent.stop();
    await agent.restart();
    alice = await agent.connect(agent.token('alice'));
    bob = await agent.connect(agent.token('bob'));
    // Orphans are the admin's to see.
    const admin = await agent.connect(agent.token('root', true));
    const { orphans } = await admin.request('host.info', {});
    assert.deepEqual(
      orphans.filter((orphan) => orphan.includes('berth-vol-')),
      [],
    );
    assert.ok(dockerExists('volume', `berth-vol-${agentId}-alice.kept`));
  });

  it('refuses a bind outside the allow-list, and one that leaves it through a link, creating nothing', async () => {
    for (const [bind, why] of [
      ['/etc', /this host allows binds only from .* \(read-only\)/],
      [path.join(allowed, 'escape'), /leads to \/etc \(through a link\)/],
    ] as const) {
      await assert.rejects(
        alice.request('workspace.create', { name: 'vol-refused', volumes: [{ bind, target: '/host' }] }),
        (err: BerthError) => {
          assert.equal(err.code, 'forbidden');
          assert.match(err.message, why);
          return true;
        },
      );
    }
    const { workspaces } = await alice.request('workspace.list', {});
    assert.equal(
      workspaces.some((ws) => ws.name === 'vol-refused'),
      false,
    );
  });
});

describe('agent: named volumes count against their owner’s disk quota (issue 13)', function () {
  this.timeout(120_000);
  const agent = useAgent({ args: ['--disk-interval', '1s'] });

  it("adds what a named volume holds to its owner's disk use", async () => {
    const carol = await agent.connect(agent.token('carol'));
    const set = berth(['quota', 'carol', '--disk', '10m'], cliEnv(agent.url, agent.token('root-admin', true)));
    assert.equal(set.code, 0, set.stderr);
    const volumes = [{ name: 'big', target: '/big' }];
    const { workspace } = await carol.request('workspace.create', { name: 'vol-quota', volumes });
    docker('exec', `berth-${workspace.id}`, 'dd', 'if=/dev/zero', 'of=/big/zeros', 'bs=1M', 'count=24');
    const measured = await waitFor('the named volume to count for carol', async () => {
      const { workspace: ws } = await carol.request('workspace.get', { name: 'vol-quota' });
      return (ws.disk?.overQuota?.used ?? 0) >= 24 * 1024 ** 2 ? ws : false;
    });
    // The home alone holds far less: the named volume's 24 MiB are what put carol over.
    assert.ok((measured.disk?.home ?? 0) < 10 * 1024 ** 2, `home ${measured.disk?.home}`);
  });
});
