import * as assert from 'node:assert/strict';
import { AgentProcess } from '../support/agent-process';
import { requireDocker } from '../support/docker';
import { agentPid, openDescriptors } from '../support/process-stats';
import { RawConnection } from '../support/raw-ws';
import { RawSocket } from '../support/raw-socket';
import { waitFor } from '../support/wait';

/** The agent's limits under test (agent/server/limits.ts). */
const MAX_HANDSHAKING = 512;
/** Past the longest handshake deadline (10 s), with room for a loaded machine. */
const PAST_DEADLINE_MS = 30_000;

describe('agent: connections that never become sessions', function () {
  this.timeout(120_000);
  let agent: AgentProcess;
  let token: string;
  let pid: number;
  /** The agent's descriptors with no client connected. */
  let baseline: number;
  let opened: RawSocket[] = [];

  /** Opens `count` TCP connections, doing `then` with each, and waits until the agent holds them all. */
  async function flood(count: number, then: (raw: RawSocket) => void = () => undefined): Promise<void> {
    const before = await openDescriptors(pid);
    for (let i = 0; i < count; i++) {
      const raw = await RawSocket.connect(agent.port);
      opened.push(raw);
      then(raw);
    }
    await waitFor(
      `the agent to hold ${count} more descriptors`,
      async () => (await openDescriptors(pid)) >= before + count,
    );
  }

  /** Waits until the agent's descriptors are back to the baseline, give or take the few its own work opens. */
  function released(what: string): Promise<unknown> {
    return waitFor(what, async () => (await openDescriptors(pid)) <= baseline + 5, PAST_DEADLINE_MS);
  }

  before(async () => {
    requireDocker();
    agent = await AgentProcess.start();
    token = agent.token('alice');
    pid = await agentPid(agent);
    baseline = await openDescriptors(pid);
  });

  afterEach(async () => {
    for (const raw of opened) raw.destroy();
    opened = [];
    await released('the agent to let go of the test connections');
  });

  after(async () => {
    await agent?.destroy();
  });

  it('drops sockets that never send a byte', async () => {
    await flood(40);
    await released('the agent to drop the silent sockets');
    assert.ok(
      opened.every((raw) => raw.ended),
      'the agent ended every silent socket',
    );
  });

  it('drops sockets that stall in the middle of their HTTP headers', async () => {
    const partial = RawSocket.upgradeRequest(agent.port, token).split('\r\n').slice(0, 3).join('\r\n');
    await flood(40, (raw) => raw.write(`${partial}\r\n`));
    await released('the agent to drop the stalled sockets');
  });

  it('drops refused upgrades whose clients never close their side', async () => {
    await flood(40, (raw) => raw.write(RawSocket.upgradeRequest(agent.port, 'berth_not-a-token')));
    await waitFor('the refusals', () => opened.every((raw) => raw.ended));
    await released('the agent to drop the refused sockets');
  });

  it('closes an authenticated connection that sends no hello with 1008, and keeps greeted ones open', async () => {
    const silent = await RawConnection.open(agent.url, token);
    const greeted = await agent.connect(token);
    try {
      const { code, reason } = await waitFor('the silent connection to close', () => silent.closed(), PAST_DEADLINE_MS);
      assert.equal(code, 1008);
      assert.match(reason, /^no hello within 5 s; send \{"hello"/);
      assert.equal(greeted.closed, false, 'the greeted connection outlived the hello deadline');
      assert.equal((await greeted.request('host.info', {})).user.name, 'alice');
    } finally {
      greeted.close();
    }
  });

  it(`holds at most ${MAX_HANDSHAKING} connections that are shaking hands, the newest ones, and still lets a client in`, async () => {
    const count = MAX_HANDSHAKING + 100;
    for (let i = 0; i < count; i++) opened.push(await RawSocket.connect(agent.port));
    await waitFor(
      'the oldest connections to be dropped',
      () => opened.filter((raw) => raw.ended).length >= count - MAX_HANDSHAKING,
    );
    assert.deepEqual(
      opened.map((raw) => raw.ended),
      opened.map((_, i) => i < count - MAX_HANDSHAKING),
      'the oldest ones were dropped, the newest kept',
    );
    assert.ok(
      (await openDescriptors(pid)) <= baseline + MAX_HANDSHAKING + 5,
      'the agent holds no more descriptors than that',
    );
    const client = await agent.connect(token);
    try {
      assert.equal((await client.request('host.info', {})).user.name, 'alice');
    } finally {
      client.close();
    }
  });
});
