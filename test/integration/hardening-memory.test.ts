import * as assert from 'node:assert/strict';
import { AgentProcess } from '../support/agent-process';
import { requireDocker } from '../support/docker';
import { agentPid, mib, residentBytes } from '../support/process-stats';
import { RawSocket } from '../support/raw-socket';
import { waitFor } from '../support/wait';

/** The agent's limits under test (agent/server/limits.ts). */
const MAX_REQUESTS_IN_FLIGHT = 64;
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** What the agent logs when it closes a connection that does not read. */
const CLOSING = 'closing a connection of alice';

/** An environment of 12 values of 32 KiB: every view of the workspace (reply or event) weighs ~400 KiB. */
const FAT_ENV = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`PAD_${i}`, 'x'.repeat(32 * 1024)]));

/** How many frames of ~400 KiB a test sends at most: far more unread bytes than the cap, plus the kernel's buffers. */
const FLOOD_LIMIT = 400;

describe('agent: clients that send more than they read', function () {
  this.timeout(180_000);
  let agent: AgentProcess;
  let token: string;
  let pid: number;
  let opened: RawSocket[] = [];

  /** How many connections the agent has closed for not reading so far. */
  const closings = () => agent.log.split(CLOSING).length - 1;

  before(async () => {
    requireDocker();
    agent = await AgentProcess.start();
    token = agent.token('alice');
    pid = await agentPid(agent);
    const client = await agent.connect(token);
    try {
      await client.request('workspace.create', { name: 'fat', memory: 256 * 1024 ** 2, cpus: 0.5, env: FAT_ENV });
    } finally {
      client.close();
    }
  });

  afterEach(() => {
    for (const raw of opened) raw.destroy();
    opened = [];
  });

  after(async () => {
    await agent?.destroy();
  });

  /** Opens a session that then stops reading. */
  async function slowReader(): Promise<RawSocket> {
    const raw = await RawSocket.greeted(agent.port, token);
    opened.push(raw);
    raw.pause();
    return raw;
  }

  /** Reads what the agent left for `raw`, and returns its close frame. */
  async function closeOf(raw: RawSocket): Promise<{ code: number; reason: string }> {
    raw.resume();
    return waitFor('the close frame', () => raw.closeFrame());
  }

  it(`answers requests past ${MAX_REQUESTS_IN_FLIGHT} running on one connection with no_capacity, and runs the others`, async () => {
    const raw = await RawSocket.greeted(agent.port, token);
    opened.push(raw);
    const count = 3 * MAX_REQUESTS_IN_FLIGHT;
    // One write: the agent reads them in one go, so that the first ones still run when the last arrive.
    raw.sendFrames(Array.from({ length: count }, (_, i) => JSON.stringify({ id: i, method: 'host.info', params: {} })));
    const replies = await waitFor('every reply', () => {
      const all = raw.frames().filter((frame) => 'id' in frame);
      return all.length >= count && all;
    });
    const refused = replies.filter((reply) => (reply.error as { code?: string } | undefined)?.code === 'no_capacity');
    const served = replies.filter((reply) => 'result' in reply);
    assert.ok(refused.length > 0, 'some requests were refused');
    assert.ok(served.length >= MAX_REQUESTS_IN_FLIGHT, `${served.length} requests were served`);
    assert.equal(refused.length + served.length, count);
    assert.match(
      (refused[0]!.error as { message: string }).message,
      /requests running, the most the agent runs at once for one connection; wait for their replies/,
    );
  });

  it('closes a connection that stops reading its replies with 1008, before they fill the agent', async () => {
    const raw = await slowReader();
    const before = closings();
    const rssBefore = await residentBytes(pid);
    let sent = 0;
    const flooded = waitFor(
      'the agent to close the connection that does not read',
      () => {
        if (closings() > before) return true;
        if (sent < FLOOD_LIMIT) {
          const ids = Array.from({ length: 10 }, () => sent++);
          raw.sendFrames(ids.map((id) => JSON.stringify({ id, method: 'workspace.list', params: {} })));
        }
        return false;
      },
      60_000,
      10,
    );
    await flooded.finally(async () =>
      console.log(
        `      ${sent} lists of ~400 KiB asked; agent RSS ${mib(rssBefore)} → ${mib(await residentBytes(pid))}`,
      ),
    );
    const { code, reason } = await closeOf(raw);
    const answered = raw.frames().filter((frame) => 'result' in frame).length;
    assert.equal(code, 1008);
    assert.match(reason, /^the client stopped reading: over 8 MiB of replies and events left unread/);
    assert.ok(answered < sent, 'the agent stopped answering');
    assert.ok(agent.alive);
  });

  it('closes a connection that stops reading its events with 1008, and the others keep theirs', async () => {
    const raw = await slowReader();
    const reader = await agent.connect(token);
    let changes = 0;
    reader.onEvent((event) => event.event === 'workspace.changed' && changes++);
    const before = closings();
    const rssBefore = await residentBytes(pid);
    let sent = 0;
    try {
      const flooded = waitFor(
        'the agent to close the connection that does not read',
        async () => {
          if (closings() > before) return true;
          if (sent < FLOOD_LIMIT) {
            sent++;
            await reader.request('workspace.keepalive', { name: 'fat', seconds: 60 });
          }
          return false;
        },
        60_000,
        1,
      );
      await flooded.finally(async () =>
        console.log(
          `      ${sent} events of ~400 KiB sent to each connection; agent RSS ${mib(rssBefore)} → ${mib(await residentBytes(pid))}`,
        ),
      );
      const { code } = await closeOf(raw);
      assert.equal(code, 1008);
      assert.ok(sent * 400 * 1024 > MAX_BUFFERED_BYTES, 'more was sent than the cap');
      await reader.request('workspace.keepalive', { name: 'fat', seconds: 60 });
      await waitFor('the reading connection to get its events', () => changes >= sent + 1);
      assert.equal(reader.closed, false);
    } finally {
      reader.close();
    }
  });
});
