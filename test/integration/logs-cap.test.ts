import * as assert from 'node:assert/strict';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

/** The most output one `workspace.logs` reply carries (MAX_LOGS_REPLY_BYTES, agent/server/limits.ts). */
const MAX_REPLY = 1024 * 1024;

describe('agent: the output of a chatty workspace', function () {
  this.timeout(120_000);
  const agent = useAgent();

  it('is cut to its newest MiB, after a line saying so and how to read all of it', async () => {
    const client = await agent.connect(agent.token('alice'));
    // 3,000,000 bytes on one line, then the newest output: a line of its own.
    await client.request('workspace.create', {
      name: 'chatty',
      command: "head -c 3000000 /dev/zero | tr '\\0' x; echo; echo newest-output-here",
    });
    const text = await waitFor('the newest output in the logs', async () => {
      const reply = await client.request('workspace.logs', { name: 'chatty', tail: 100_000 });
      return reply.text.includes('newest-output-here') && reply.text;
    });
    const [note, ...rest] = text.split('\n');
    const kept = rest.join('\n');
    assert.match(note!, /^\[berth: output cut to its newest \d+ bytes of \d+, the most one reply carries;/);
    assert.match(note!, /berth logs -f/);
    assert.match(note!, /docker logs on the host/);
    assert.ok(Buffer.byteLength(kept) <= MAX_REPLY, `${Buffer.byteLength(kept)} bytes kept`);
    assert.ok(Buffer.byteLength(kept) > MAX_REPLY - 64, `${Buffer.byteLength(kept)} bytes kept`);
    assert.ok(kept.endsWith('x\nnewest-output-here\n'), `ends with ${JSON.stringify(kept.slice(-40))}`);
    assert.match(kept, /^x+\n/, 'the kept output is the end of the long line');
  });
});
