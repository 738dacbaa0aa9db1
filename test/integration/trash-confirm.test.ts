import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { AgentClient } from '../../client/agent-client';
import { BERTH } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { dockerExists } from '../support/docker';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

// Emptying the trash deletes files for good: only what the user was shown and confirmed may go, never
// a home trashed while the question was open.

const SMALL = { cpus: 0.5, memory: 256 * 1024 ** 2 };

describe('trash: empty deletes only the entries the user confirmed', function () {
  this.timeout(240_000);
  const agent = useAgent();
  let alice: AgentClient;
  let env: NodeJS.ProcessEnv;
  const trashed = async (name: string): Promise<string> => {
    const { workspace } = await alice.request('workspace.create', { name, ...SMALL });
    await alice.request('workspace.delete', { name, deleteData: true });
    return workspace.id;
  };
  const inTrash = async () => (await alice.request('trash.list', {})).entries.map((entry) => entry.name).sort();

  before(async () => {
    const token = agent.token('alice');
    env = cliEnv(agent.url, token);
    alice = await agent.connect(token);
  });

  it('trash.empty with ids removes those only: an entry trashed after the list stays', async () => {
    const seen = await trashed('seen');
    const listed = (await alice.request('trash.list', {})).entries.map((entry) => entry.id);
    assert.deepEqual(listed, [seen]);
    const later = await trashed('later');
    const { removed } = await alice.request('trash.empty', { ids: listed });
    assert.deepEqual(
      removed.map((entry) => entry.id),
      [seen],
    );
    assert.deepEqual(await inTrash(), ['later']);
    assert.ok(dockerExists('volume', `berth-${later}-home`), 'the home trashed after the list is gone');
  });

  it('berth trash empty names what it deletes, and deletes only that once confirmed', async () => {
    // A terminal (script(1)) for the question; a home is trashed while it is open.
    const child = spawn('script', ['-qfec', `${process.execPath} ${BERTH} trash empty`, '/dev/null'], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await waitFor('the question', () => out.includes('to confirm'), 60_000);
      const meanwhile = await trashed('meanwhile');
      child.stdin.write('empty\r');
      assert.equal(await exited, 0, out);
      assert.deepEqual(await inTrash(), ['meanwhile'], 'a home trashed while the question was open was deleted');
      assert.ok(dockerExists('volume', `berth-${meanwhile}-home`));
      assert.match(out, /This deletes for good 1 home and ALL files in them: later \([0-9a-f]+\)/);
      assert.match(out, /Deleted for good 1 home: later/);
    } finally {
      child.kill();
    }
  });

  it('without a terminal and --yes it refuses, naming what would go', async () => {
    const child = spawn(process.execPath, [BERTH, 'trash', 'empty'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 1);
    assert.match(err, /emptying your trash deletes every file in it: 1 home \(meanwhile \([0-9a-f]+\)\); add --yes/);
    assert.deepEqual(await inTrash(), ['meanwhile']);
  });
});
