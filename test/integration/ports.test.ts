import * as assert from 'node:assert/strict';
import type * as net from 'node:net';
import type { AgentClient } from '../../client/agent-client';
import type { Workspace } from '../../protocol';
import { sshPortRange } from '../support/agent-process';
import { labelledWithName } from '../support/docker';
import { holdPort, release } from '../support/net';
import { useAgent } from '../support/use-agent';

/** Small workspaces: many of them share a host with 2 cores. */
const SMALL = { memory: 256 * 1024 ** 2, cpus: 0.5 };

/** Creates workspaces `names`, `batch` at a time concurrently. */
async function createAll(client: AgentClient, names: string[], batch = 5): Promise<Workspace[]> {
  const created: Workspace[] = [];
  for (let i = 0; i < names.length; i += batch) {
    const replies = await Promise.all(
      names.slice(i, i + batch).map((name) => client.request('workspace.create', { name, ...SMALL })),
    );
    created.push(...replies.map((reply) => reply.workspace));
  }
  return created;
}

describe('agent: SSH ports', function () {
  this.timeout(300_000);

  describe('on a range of 24 ports', () => {
    const agent = useAgent({ ports: sshPortRange(24) });
    let client: AgentClient;

    before(async () => {
      client = await agent.connect(agent.token('alice'));
    });

    it('gives 20 workspaces created concurrently 20 distinct ports within the range', async () => {
      const names = Array.from({ length: 20 }, (_, i) => `many-${i}`);
      const ports = (await createAll(client, names)).map((ws) => ws.ssh.port);
      assert.equal(new Set(ports).size, 20, `distinct ports: ${ports.join(', ')}`);
      for (const port of ports) assert.ok(port >= agent.ports.first && port <= agent.ports.last, `${port} in range`);
    });

    it("hands a deleted workspace's port to the next create", async () => {
      const { workspaces } = await client.request('workspace.list', {});
      const lowest = workspaces.reduce((a, b) => (a.ssh.port < b.ssh.port ? a : b));
      await client.request('workspace.delete', { name: lowest.name, deleteData: true });
      const { workspace } = await client.request('workspace.create', { name: 'after-delete', ...SMALL });
      assert.equal(workspace.ssh.port, lowest.ssh.port);
    });
  });

  describe('on a range of 2 ports', () => {
    const agent = useAgent({ ports: sshPortRange(2) });
    let client: AgentClient;

    before(async () => {
      client = await agent.connect(agent.token('alice'));
      await createAll(client, ['pair-one', 'pair-two']);
    });

    it('refuses a third workspace with no_capacity naming the range', async () => {
      const { first, last } = agent.ports;
      await assert.rejects(client.request('workspace.create', { name: 'ports-third', ...SMALL }), {
        code: 'no_capacity',
        message: new RegExp(`\\(${first}-${last}\\)`),
      });
    });

    it('leaves nothing of the refused workspace behind, and the two keep their ports', async () => {
      await assert.rejects(client.request('workspace.create', { name: 'ports-third', ...SMALL }), {
        code: 'no_capacity',
      });
      const { workspaces } = await client.request('workspace.list', {});
      assert.deepEqual(workspaces.map((ws) => ws.name).sort(), ['pair-one', 'pair-two']);
      assert.deepEqual(
        workspaces.map((ws) => ws.ssh.port).sort((a, b) => a - b),
        [agent.ports.first, agent.ports.last],
      );
      assert.deepEqual(labelledWithName('ports-third'), { containers: [], volumes: [] });
    });
  });

  describe('with a port of the range bound by another process', () => {
    const agent = useAgent({ ports: sshPortRange(3) });
    let client: AgentClient;
    let held: net.Server;

    before(async () => {
      client = await agent.connect(agent.token('alice'));
      held = await holdPort(agent.ports.first);
    });

    after(async () => {
      if (held) await release(held);
    });

    it('skips that port', async () => {
      const { workspace } = await client.request('workspace.create', { name: 'beside-held', ...SMALL });
      assert.ok(workspace.ssh.port > agent.ports.first && workspace.ssh.port <= agent.ports.last);
      assert.equal(workspace.state, 'running');
    });
  });
});
