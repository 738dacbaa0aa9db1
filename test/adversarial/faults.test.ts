import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { AgentClient } from '../../client/agent-client';
import { AgentProcess } from '../support/agent-process';
import { dockerExists, requireDocker } from '../support/docker';
import { attemptUpgrade } from '../support/raw-ws';
import { DockerSocketProxy } from '../support/socket-proxy';
import { homeFile, refusal, volumeOf, withHomeFile } from './homes';
import { waitFor } from '../support/wait';
import {
  SMALL,
  agentIdOf,
  startOnce,
  assertUp,
  destroyAgent,
  dockerAsync,
  dockerMaybe,
  mint,
  objectsOf,
  stateFile,
  storeOf,
} from './support';

const run = promisify(execFile);

describe("adversarial: faults behind the agent's back", function () {
  this.timeout(180_000);
  let agent: AgentProcess;
  let token: string;
  let admin: AgentClient;

  const get = async (name: string) => (await admin.request('workspace.get', { name })).workspace;
  const reconnect = async () => {
    admin?.close();
    admin = await agent.connect(token);
  };

  before(async () => {
    requireDocker();
    agent = await AgentProcess.start();
    token = mint(agent, 'root', true).token;
    await reconnect();
  });

  after(async () => {
    admin?.close();
    await destroyAgent(agent);
  });

  describe('Docker objects removed outside Berth', () => {
    it('a running container removed with docker rm -f: shown stopped with the reason, and start recreates it on the same home', async () => {
      const { ws, content } = await withHomeFile(admin, 'f-rm');
      await dockerAsync('rm', '-f', `berth-${ws.id}`);
      const seen = await waitFor('the removal to be noticed', async () => {
        const now = await get('f-rm');
        return now.state === 'stopped' ? now : null;
      });
      assert.match(seen.message ?? '', /outside Berth/);
      const { workspace } = await admin.request('workspace.start', { name: 'f-rm' });
      assert.equal(workspace.state, 'running');
      assert.equal(await homeFile(ws), content, 'the home file is lost');
      assert.deepEqual((await admin.request('host.info', {})).orphans, []);
    });

    it('a container removed while the agent is down: found stopped at restart, and start brings it back with its home', async () => {
      const { ws, content } = await withHomeFile(admin, 'f-down');
      admin.close();
      await agent.stop();
      await dockerAsync('rm', '-f', `berth-${ws.id}`);
      await agent.restart();
      await reconnect();
      const now = await get('f-down');
      assert.equal(now.state, 'stopped');
      assert.match(now.message ?? '', /removed outside Berth/);
      assert.equal((await admin.request('workspace.start', { name: 'f-down' })).workspace.state, 'running');
      assert.equal(await homeFile(ws), content, 'the home file is lost');
    });

    it('a home volume removed: start refuses, saying its home volume is gone, and makes no empty one', async () => {
      const { ws } = await withHomeFile(admin, 'f-vol');
      await admin.request('workspace.stop', { name: 'f-vol' });
      await dockerAsync('rm', '-f', `berth-${ws.id}`);
      await dockerAsync('volume', 'rm', volumeOf(ws));
      const err = await refusal(admin.request('workspace.start', { name: 'f-vol' }));
      assert.match(err.message, /home volume/);
      assert.ok(!dockerExists('volume', volumeOf(ws)), 'an empty home volume was made in its place');
      assert.notEqual((await get('f-vol')).state, 'running');
      await assertUp(agent);
    });
  });

  describe('state files corrupted while the agent is down: a clear refusal, or every record kept', () => {
    let records: { id: string; name: string }[];

    before(async () => {
      // Two workspaces in the store, one running and one stopped.
      await admin.request('workspace.create', { name: 'f-state-a', ...SMALL });
      await admin.request('workspace.create', { name: 'f-state-b', ...SMALL });
      await admin.request('workspace.stop', { name: 'f-state-b' });
      records = storeOf(agent).workspaces.map(({ id, name }) => ({ id, name }));
    });

    /**
     * Replaces `file` with `corrupt` (null: removes it) while the agent is down and starts it again.
     * Returns what it said when it refused to start; when it started, `whileUp` checks it first. The
     * file is put back and the agent stopped afterwards either way.
     */
    async function startOn(
      file: string,
      corrupt: Buffer | string | null,
      whileUp: () => Promise<void>,
    ): Promise<{ log: string } | null> {
      admin.close();
      await agent.stop();
      const original = await fs.readFile(file);
      if (corrupt === null) await fs.rm(file);
      else await fs.writeFile(file, corrupt);
      let refused: { log: string } | null = null;
      try {
        const outcome = await startOnce(agent);
        if (outcome.refused) {
          assert.notEqual(outcome.code, 0, 'it exited without an error');
          // A refusal leaves the file as it found it: nothing is "repaired" by overwriting it.
          const now = await fs.readFile(file).catch(() => null);
          assert.deepEqual(now, corrupt === null ? null : Buffer.from(corrupt), 'the corrupt file was overwritten');
          refused = { log: outcome.stderr };
        } else {
          try {
            await whileUp();
          } finally {
            await outcome.stop();
          }
        }
      } finally {
        await fs.writeFile(file, original);
        await agent.restart();
        await reconnect();
      }
      const names = (await admin.request('workspace.list', {})).workspaces.map((ws) => ws.name);
      for (const { name } of records) assert.ok(names.includes(name), `${name} is gone once the file is restored`);
      return refused;
    }

    afterEach(async () => {
      // Only after a case that failed half-way: the next one starts from a running agent.
      if (!agent.alive) await agent.restart();
      await reconnect();
    });

    const corruptions: [string, (original: Buffer) => Buffer | string][] = [
      ['torn in half', (original) => original.subarray(0, Math.floor(original.length / 2))],
      ['random bytes', () => Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919 + 13) % 256))],
      ['empty', () => ''],
      ['JSON null', () => 'null'],
      ['an empty object', () => '{}'],
      ['with workspaces of the wrong type', () => '{"version":1,"workspaces":"none"}'],
      [
        'a record with an unknown state',
        (original) => {
          const data = JSON.parse(original.toString('utf8')) as { workspaces: { state: string }[] };
          data.workspaces[0]!.state = 'exploded';
          return JSON.stringify(data);
        },
      ],
    ];

    for (const [what, corrupt] of corruptions) {
      it(`workspaces.json ${what}: the agent refuses to start naming the file, or keeps every record`, async () => {
        const file = stateFile(agent, 'workspaces.json');
        const refused = await startOn(file, corrupt(await fs.readFile(file)), async () => {
          // It started on the corrupt file: then it must hold every record.
          const client = await agent.connect(token);
          const listed = (await client.request('workspace.list', {})).workspaces.map((ws) => ws.id);
          client.close();
          for (const { id, name } of records) assert.ok(listed.includes(id), `${name} was silently dropped`);
        });
        if (refused) {
          assert.match(refused.log, /workspaces\.json/, `the refusal does not name the file:\n${refused.log}`);
        }
      });
    }

    it('workspaces.json deleted: every container and volume is reported as an orphan, none adopted or deleted', async () => {
      const objects = await objectsOf(agentIdOf(agent));
      assert.ok(objects.containers.length && objects.volumes.length, 'nothing to be reported');
      const refused = await startOn(stateFile(agent, 'workspaces.json'), null, async () => {
        const client = await agent.connect(token);
        try {
          assert.deepEqual((await client.request('workspace.list', {})).workspaces, [], 'it adopted workspaces');
          const orphans = (await client.request('host.info', {})).orphans;
          for (const [kind, names] of [
            ['container', objects.containers],
            ['volume', objects.volumes],
          ] as const) {
            for (const name of names) {
              assert.ok(orphans.includes(`${kind} ${name}`), `${kind} ${name} is not reported: ${orphans.join(', ')}`);
              assert.ok(dockerExists(kind, name), `${kind} ${name} was deleted`);
            }
          }
        } finally {
          client.close();
        }
      });
      assert.equal(refused, null, `it refused to start without a state file: ${refused?.log}`);
    });

    it('agent-id emptied: the agent refuses to start naming the file, or keeps its identity and follows its containers', async () => {
      const file = stateFile(agent, 'agent-id');
      const id = agentIdOf(agent);
      const refused = await startOn(file, '', async () => {
        assert.equal(agentIdOf(agent), id, 'the agent took a new identity');
        // A container of its own stopped behind its back must still be noticed.
        const client = await agent.connect(token);
        try {
          const { workspace } = await client.request('workspace.get', { name: 'f-state-a' });
          await dockerAsync('stop', '-t', '0', `berth-${workspace.id}`);
          await waitFor(
            'the stop to be noticed',
            async () => (await client.request('workspace.get', { name: 'f-state-a' })).workspace.state === 'stopped',
            20_000,
          );
        } finally {
          client.close();
        }
      });
      if (refused) assert.match(refused.log, /agent-id/, `the refusal does not name the file:\n${refused.log}`);
    });

    it('users.json torn: connections get a clear error naming the file, the agent stays up, and serves again once it is restored', async () => {
      const file = stateFile(agent, 'users.json');
      const original = await fs.readFile(file);
      await fs.writeFile(file, original.subarray(0, Math.floor(original.length / 2)));
      try {
        const outcome = await attemptUpgrade(agent.url, { Authorization: `Bearer ${token}` });
        assert.equal(outcome.opened, false);
        assert.notEqual(outcome.status, 101);
        assert.match(outcome.body, /users\.json/);
        await assertUp(agent);
      } finally {
        await fs.writeFile(file, original);
      }
      await waitFor('a connection once the file is back', async () => {
        const client = await agent.connect(token).catch(() => null);
        client?.close();
        return client !== null;
      });
    });
  });

  describe('Docker unreachable for a while (its socket cut, as a dockerd restart looks to the agent)', () => {
    let proxy: DockerSocketProxy;
    let cut: AgentProcess;
    let client: AgentClient;

    before(async () => {
      proxy = await DockerSocketProxy.start();
      cut = await AgentProcess.start({ args: ['--docker-socket', proxy.socketPath] });
      client = await cut.connect(mint(cut, 'root', true).token);
    });

    after(async () => {
      client?.close();
      await destroyAgent(cut);
      await proxy?.down();
    });

    it('keeps serving while the engine is away, and once it is back finds a container removed meanwhile', async () => {
      const { ws, content } = await withHomeFile(client, 'f-cut');
      await proxy.down();
      await dockerAsync('rm', '-f', `berth-${ws.id}`);
      assert.ok((await client.request('workspace.list', {})).workspaces.length, 'no answer while Docker is away');
      await assertUp(cut);
      await proxy.up();
      const seen = await waitFor('the removal to be noticed after the engine came back', async () => {
        const now = (await client.request('workspace.get', { name: 'f-cut' })).workspace;
        return now.state === 'stopped' ? now : null;
      });
      assert.match(seen.message ?? '', /removed outside Berth/);
      assert.equal((await client.request('workspace.start', { name: 'f-cut' })).workspace.state, 'running');
      assert.equal(await homeFile(ws), content, 'the home file is lost');
    });

    it('a real dockerd restart (only with BERTH_ADVERSARIAL_RESTART_DOCKERD=1, on a machine of its own)', async function () {
      if (process.env.BERTH_ADVERSARIAL_RESTART_DOCKERD !== '1') {
        // dockerd here is shared with every other test run on this machine: restarting it would stop their containers.
        this.skip();
      }
      const { ws, content } = await withHomeFile(client, 'f-dockerd');
      const { stdout } = await run('pgrep', ['-x', 'dockerd']);
      process.kill(Number(stdout.trim().split('\n')[0]), 'SIGTERM');
      await waitFor('dockerd to stop', async () => (await dockerMaybe('version')) === null, 60_000);
      await run(path.resolve(__dirname, '..', '..', 'scripts', 'setup-host.sh'), [], { timeout: 300_000 });
      const seen = await waitFor(
        'the stopped container to be noticed after dockerd came back',
        async () => {
          const now = (await client.request('workspace.get', { name: 'f-dockerd' })).workspace;
          return now.state === 'stopped' ? now : null;
        },
        60_000,
      );
      assert.match(seen.message ?? '', /outside Berth/);
      assert.equal((await client.request('workspace.start', { name: 'f-dockerd' })).workspace.state, 'running');
      assert.equal(await homeFile(ws), content, 'the home file is lost');
    });
  });
});
