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
    const PING_MS = 50;
    const client = await agent.connect(token, PING_MS);
    try {
      await client.request('workspace.create', { name: 'kept', memory: 256 * 1024 ** 2, cpus: 0.5 });
      // A followed log is a request that lasts until it is cancelled: it is as long as the test makes it.
      const abort = new AbortController();
      let settled = false;
      const following = client
        .request('workspace.logs', { name: 'kept', follow: true }, { signal: abort.signal })
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => (settled = true));
      const since = Date.now();
      // An unanswered ping drops the connection after two intervals; ten pass with the request open.
      await waitFor('ten ping intervals with the request open', () => Date.now() - since > 10 * PING_MS);
      assert.equal(settled, false, 'the request is still open');
      assert.equal(client.closed, false);
      abort.abort();
      await following;
      assert.equal(client.closed, false, 'the connection outlived the request');
      await client.request('workspace.delete', { name: 'kept', deleteData: true });
    } finally {
      client.close();
    }
  });
});
