import * as assert from 'node:assert/strict';
import type { AgentClient, ClientEvent } from '../../client/agent-client';
import type { Workspace } from '../../protocol';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

/** A monitor pass only once an hour: whatever the deadline shows in this suite, no tick put it there. */
const ARGS = ['--idle-timeout', '30m', '--idle-interval', '1h', '--keepalive-max', '1d'];
const SMALL = { memory: 256 * 1024 ** 2, cpus: 0.5 };
const plus = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000).toISOString();

describe('agent: the idle deadline after an explicit change', function () {
  this.timeout(120_000);
  const agent = useAgent({ args: ARGS });
  let client: AgentClient;
  const changes: Workspace[] = [];

  before(async () => {
    client = await agent.connect(agent.token('alice'));
    client.onEvent((event: ClientEvent) => {
      if (event.event === 'workspace.changed') changes.push(event.data.workspace);
    });
  });

  it('an update of the idle timeout moves the published stop time at once, and says so', async () => {
    const { workspace: created } = await client.request('workspace.create', { name: 'retimed', ...SMALL });
    assert.equal(created.idleStopAt, plus(created.since, 1800));
    const { workspace } = await client.request('workspace.update', {
      name: 'retimed',
      changes: { idleTimeout: 7200 },
    });
    assert.equal(workspace.since, created.since, 'the same run');
    assert.equal(workspace.idleStopAt, plus(created.since, 7200));
    const listed = (await client.request('workspace.list', {})).workspaces.find((ws) => ws.name === 'retimed');
    assert.equal(listed?.idleStopAt, workspace.idleStopAt);
    await waitFor('a workspace.changed with the new stop time', () =>
      changes.some((ws) => ws.name === 'retimed' && ws.idleStopAt === workspace.idleStopAt),
    );
  });

  it('a keepalive publishes its stop time at once, even one that moves less than a monitor pass', async () => {
    await client.request('workspace.create', { name: 'kept', ...SMALL });
    const kept = await client.request('workspace.keepalive', { name: 'kept', seconds: 2400 });
    assert.equal(kept.workspace.idleStopAt, kept.keepUntil);
    const { workspace } = await client.request('workspace.get', { name: 'kept' });
    assert.equal(workspace.idleStopAt, kept.keepUntil);
    await waitFor('a workspace.changed with the kept stop time', () =>
      changes.some((ws) => ws.name === 'kept' && ws.idleStopAt === kept.keepUntil),
    );
  });
});
