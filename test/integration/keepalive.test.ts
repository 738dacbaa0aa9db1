import * as assert from 'node:assert/strict';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

describe('client: keepalive', function () {
  this.timeout(30_000);
  const agent = useAgent();
  let token: string;

  before(() => {
    token = agent.token('alice');
  });

  it('drops a connection whose agent stops answering, within a few ping intervals', async () => {
    const client = await agent.connect(token, 200);
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
    const client = await agent.connect(token, 50);
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
