import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { randomBytes } from 'node:crypto';
import { useAgent } from '../support/use-agent';

const docker = (...args: string[]) => {
  const run = spawnSync('docker', args, { encoding: 'utf8' });
  assert.equal(run.status, 0, `docker ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
};

describe('agent: host.images and the defaults in host.info', function () {
  this.timeout(120_000);
  const agent = useAgent({ args: ['--idle-timeout', '45m', '--idle-max', '8h'] });
  const extra = `berth-host-images-${randomBytes(4).toString('hex')}:wizard`;

  after(() => {
    spawnSync('docker', ['rmi', extra], { encoding: 'utf8' });
  });

  // Other suites share this Docker engine and tag images of their own, so the tests look for the
  // images they know of rather than compare the whole list with `docker images`.
  it('lists the images present on the host as repo:tag, sorted, the default image among them', async () => {
    const client = await agent.connect(agent.token('alice'));
    const { images } = await client.request('host.images', {});
    assert.ok(images.includes('berth-workspace:latest'), `no berth-workspace:latest in ${images.join(', ')}`);
    assert.deepEqual(images, [...images].sort());
    assert.ok(!images.some((name) => name.includes('<none>')), 'an untagged image is listed');
  });

  it('shows an image tagged after the agent started, and no longer once it is removed', async () => {
    const client = await agent.connect(agent.token('bob'));
    docker('tag', 'berth-workspace:latest', extra);
    assert.ok((await client.request('host.images', {})).images.includes(extra));
    docker('rmi', extra);
    assert.ok(!(await client.request('host.images', {})).images.includes(extra));
  });

  it("lists a user's own builds of this agent, not another user's, nor another agent's on the engine", async () => {
    const hash = randomBytes(32).toString('hex');
    const mine = `berth-build/alice-${hash}:${await agent.agentId()}`;
    const otherAgent = `berth-build/alice-${hash}:${randomBytes(8).toString('hex')}`;
    const tags = [mine, otherAgent];
    for (const tag of tags) docker('tag', 'berth-workspace:latest', tag);
    try {
      const alice = (await (await agent.connect(agent.token('alice'))).request('host.images', {})).images;
      const bob = (await (await agent.connect(agent.token('bob'))).request('host.images', {})).images;
      assert.ok(alice.includes(mine), `alice's build of this agent is not listed to her: ${alice.join(', ')}`);
      assert.ok(!alice.includes(otherAgent), "another agent's build is listed");
      assert.ok(!bob.includes(mine), "alice's build is listed to bob");
    } finally {
      docker('rmi', ...tags);
    }
  });

  it('reports the defaults a spec that names none gets, and the idle cap', async () => {
    const client = await agent.connect(agent.token('alice'));
    const info = await client.request('host.info', {});
    assert.deepEqual(info.defaults, {
      cpus: Math.min(2, os.cpus().length),
      memory: 4 * 1024 ** 3,
      idleTimeout: 45 * 60,
      idleMax: 8 * 3600,
    });
  });
});
