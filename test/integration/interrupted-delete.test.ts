import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { dockerExists } from '../support/docker';
import { useAgent } from '../support/use-agent';

describe('agent: a delete the agent was stopped in the middle of', function () {
  this.timeout(120_000);
  const agent = useAgent();
  let token: string;

  before(() => {
    token = agent.token('root', true);
  });

  /** How the delete was asked for: the home kept, put in the trash (the default), or deleted at once. */
  type Mode = 'kept' | 'trash' | 'now';

  /** Leaves `name` as an agent stopped mid-delete does: its record `deleting`, its container and volume still there. */
  async function interruptDelete(name: string, mode: Mode): Promise<string> {
    const client = await agent.connect(token);
    const { workspace } = await client.request('workspace.create', { name });
    await agent.stop();
    const file = path.join(agent.stateDir, 'workspaces.json');
    const state = JSON.parse(await fs.readFile(file, 'utf8')) as { workspaces: Record<string, unknown>[] };
    const record = state.workspaces.find((ws) => ws.id === workspace.id);
    assert.ok(record);
    Object.assign(record, {
      state: 'deleting',
      deleteData: mode !== 'kept',
      ...(mode === 'now' ? { deleteNow: true } : {}),
    });
    await fs.writeFile(file, JSON.stringify(state));
    return workspace.id;
  }

  const said: Record<Mode, string> = {
    kept: 'its home kept',
    trash: 'its home put in the trash',
    now: 'its home deleted at once',
  };
  for (const mode of ['kept', 'trash', 'now'] as const) {
    it(`finishes it at the next start, ${said[mode]}, and reports no orphan of what it removed`, async () => {
      const name = `half-deleted-${mode}`;
      const id = await interruptDelete(name, mode);
      const logBefore = agent.log.length;
      await agent.restart();
      const client = await agent.connect(token);
      const { workspaces } = await client.request('workspace.list', {});
      assert.ok(!workspaces.some((ws) => ws.name === name), 'the delete was finished');
      assert.equal(dockerExists('container', `berth-${id}`), false);
      assert.equal(dockerExists('volume', `berth-${id}-home`), mode !== 'now');
      const { entries } = await client.request('trash.list', {});
      assert.equal(
        entries.some((entry) => entry.name === name),
        mode === 'trash',
      );
      assert.deepEqual((await client.request('host.info', {})).orphans, []);
      assert.doesNotMatch(agent.log.slice(logBefore), /orphan/);
    });
  }
});
