import * as assert from 'node:assert/strict';
import { AgentProcess } from '../support/agent-process';
import { requireDocker } from '../support/docker';
import { RawSocket } from '../support/raw-socket';
import { waitFor } from '../support/wait';

/** The agent's limits under test (agent/server/limits.ts). */
const PER_CONNECTION = 16;
const PER_USER = 32;

type Frame = Record<string, unknown>;

describe('agent: followed log streams', function () {
  this.timeout(120_000);
  let agent: AgentProcess;
  let opened: RawSocket[] = [];
  let nextId = 1;

  before(async () => {
    requireDocker();
    agent = await AgentProcess.start();
    const client = await agent.connect(agent.token('alice'));
    try {
      await client.request('workspace.create', { name: 'chatty', memory: 256 * 1024 ** 2, cpus: 0.5 });
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

  /** A session of `user` (an admin unless it is alice, who owns the workspace), spoken by hand. */
  async function connect(user: string): Promise<RawSocket> {
    const raw = await RawSocket.greeted(agent.port, agent.token(user, user !== 'alice'));
    opened.push(raw);
    return raw;
  }

  function replyTo(raw: RawSocket, id: number): Promise<Frame> {
    return waitFor(`the reply to ${id}`, () => raw.frames().find((frame) => frame.id === id));
  }

  /**
   * Asks to follow alice's workspace `count` times on `raw`, then waits for the reply to a request sent
   * after them (requests are taken in order): returns the ids of the follows still running by then.
   */
  async function follow(raw: RawSocket, count: number): Promise<number[]> {
    const ids = Array.from({ length: count }, () => nextId++);
    const marker = nextId++;
    raw.sendFrames([
      ...ids.map((id) =>
        JSON.stringify({ id, method: 'workspace.logs', params: { name: 'chatty', owner: 'alice', follow: true } }),
      ),
      JSON.stringify({ id: marker, method: 'workspace.list', params: {} }),
    ]);
    await replyTo(raw, marker);
    const answered = new Set(raw.frames().map((frame) => frame.id));
    return ids.filter((id) => !answered.has(id));
  }

  /** The error code and message of the reply to `id`. */
  async function errorOf(raw: RawSocket, id: number): Promise<{ code: string; message: string }> {
    const reply = await replyTo(raw, id);
    assert.ok('error' in reply, `expected an error, got ${JSON.stringify(reply)}`);
    return reply.error as { code: string; message: string };
  }

  it(`refuses a follow past ${PER_CONNECTION} on one connection with no_capacity, and keeps those running`, async () => {
    const raw = await connect('carol');
    const running = await follow(raw, PER_CONNECTION + 1);
    assert.equal(running.length, PER_CONNECTION);
    const { code, message } = await errorOf(raw, running.at(-1)! + 1);
    assert.equal(code, 'no_capacity');
    assert.match(message, /^this connection follows 16 log streams already, the most allowed; cancel one first$/);
  });

  it(`refuses a follow past ${PER_USER} of one user across connections, and not another user's`, async () => {
    const [first, second, third] = [await connect('bob'), await connect('bob'), await connect('bob')];
    assert.equal((await follow(first, PER_CONNECTION)).length, PER_CONNECTION);
    assert.equal((await follow(second, PER_CONNECTION)).length, PER_CONNECTION);
    assert.deepEqual(await follow(third, 1), []);
    const { code, message } = await errorOf(third, nextId - 2);
    assert.equal(code, 'no_capacity');
    assert.match(message, /^bob follows 32 log streams already \(all connections together\), the most allowed/);
    assert.equal((await follow(await connect('dave'), 1)).length, 1, "another user's follow runs");
  });

  it('lets a follow take the place of a cancelled one', async () => {
    const raw = await connect('erin');
    const running = await follow(raw, PER_CONNECTION);
    assert.equal(running.length, PER_CONNECTION);
    assert.deepEqual(await follow(raw, 1), [], 'the connection is full');
    raw.sendFrames([JSON.stringify({ cancel: running[0] })]);
    assert.equal((await errorOf(raw, running[0]!)).code, 'cancelled');
    assert.equal((await follow(raw, 1)).length, 1, 'the freed place was taken');
  });
});
