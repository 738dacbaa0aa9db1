import * as assert from 'node:assert/strict';
import { AgentClient } from '../../client/agent-client';
import { AgentProcess } from '../support/agent-process';
import { requireDocker } from '../support/docker';
import { waitFor } from '../support/wait';

describe('client: keepalive', function () {
  this.timeout(30_000);
  let agent: AgentProcess;
  let token: string;

  before(async () => {
    requireDocker();
    agent = await AgentProcess.start();
    token = agent.token('alice');
  });

  after(async () => {
    agent?.freeze(false);
    await agent?.destroy();
  });

  it('drops a connection whose agent stops answering, within a few ping intervals', async () => {
    const client = await AgentClient.connect(agent.url, token, 'berth-tests', 200);
    let reason = '';
    client.onClose((why) => (reason = why));
    agent.freeze(true);
    try {
      await waitFor('the client to notice the silent agent', () => client.closed, 5_000);
      assert.match(reason, /closed/);
    } finally {
      agent.freeze(false);
    }
  });

  it('keeps a connection to an agent that answers, through a request lasting many ping intervals', async () => {
    const client = await AgentClient.connect(agent.url, token, 'berth-tests', 50);
    try {
      const started = Date.now();
      // A create takes several hundred milliseconds: many 50 ms intervals, all pings answered.
      await client.request('workspace.create', { name: 'kept', memory: 256 * 1024 ** 2, cpus: 0.5 });
      assert.ok(Date.now() - started > 150, 'the request outlasted three ping intervals');
      assert.equal(client.closed, false);
      await client.request('workspace.delete', { name: 'kept', deleteData: true });
    } finally {
      client.close();
    }
  });
});
