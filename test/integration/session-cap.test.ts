import * as assert from 'node:assert/strict';
import { RawSocket } from '../support/raw-socket';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

/** The agent's limit under test (MAX_SESSIONS_PER_USER, agent/server/limits.ts). */
const PER_USER = 64;

describe('agent: sessions of one user', function () {
  this.timeout(120_000);
  const agent = useAgent();
  const opened: RawSocket[] = [];
  let bob = '';

  before(async () => {
    bob = agent.token('bob');
    for (let i = 0; i < PER_USER; i++) opened.push(await RawSocket.greeted(agent.port, bob));
  });

  after(() => opened.forEach((raw) => raw.destroy()));

  it(`closes a session past ${PER_USER} with 1008, saying how many are open and to close some`, async () => {
    await assert.rejects(agent.connect(bob), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'no_capacity');
      assert.match(
        err.message,
        /\(1008\): this user has 64 sessions open already, the most allowed; close some first$/,
      );
      return true;
    });
    // A second token of the same user counts with the first.
    await assert.rejects(agent.connect(agent.token('bob')), { code: 'no_capacity' });
    assert.ok(
      opened.every((raw) => !raw.ended),
      'the open sessions stay',
    );
  });

  it("leaves other users' sessions alone", async () => {
    const carol = await agent.connect(agent.token('carol'));
    assert.ok(Array.isArray((await carol.request('workspace.list', {})).workspaces));
    carol.close();
  });

  it('takes a new session once one is closed', async () => {
    opened.shift()!.destroy();
    const client = await waitFor('a place for a new session of bob', () => agent.connect(bob).catch(() => null));
    assert.ok(Array.isArray((await client.request('workspace.list', {})).workspaces));
    client.close();
  });
});
