import * as assert from 'node:assert/strict';
import { RawSocket } from '../support/raw-socket';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

/** More than the follows one user may hold at once (MAX_FOLLOWS_PER_USER, agent/server/limits.ts). */
const DROPPED = 40;

type Frame = Record<string, unknown>;

describe('agent: a follow whose connection goes before the stream opens', function () {
  this.timeout(120_000);
  const agent = useAgent();
  const opened: RawSocket[] = [];
  let token = '';

  before(async () => {
    token = agent.token('alice');
    const client = await agent.connect(token);
    try {
      await client.request('workspace.create', { name: 'followed', memory: 256 * 1024 ** 2, cpus: 0.5 });
    } finally {
      client.close();
    }
  });

  after(() => opened.forEach((raw) => raw.destroy()));

  const followFrame = (id: number) =>
    JSON.stringify({ id, method: 'workspace.logs', params: { name: 'followed', follow: true } });

  it(`gives back the follow slot: ${DROPPED} follows dropped at once leave the user able to follow`, async () => {
    for (let i = 0; i < DROPPED; i++) {
      const raw = await RawSocket.greeted(agent.port, token);
      // The close reaches the agent while it is still looking up the container and asking dockerd.
      raw.sendFrames([followFrame(1)]);
      raw.destroy();
    }
    const fresh = await RawSocket.greeted(agent.port, token);
    opened.push(fresh);
    let id = 1;
    const answers = (want: number) => fresh.frames().find((frame: Frame) => frame.id === want);
    // Each try is a follow, then a list answered after it (requests are taken in order): a follow
    // still unanswered by then runs. The dropped ones' slots may take a moment to be given back.
    const running = await waitFor(
      'a follow of the fresh connection to run',
      async () => {
        const follow = id++;
        const marker = id++;
        fresh.sendFrames([followFrame(follow), JSON.stringify({ id: marker, method: 'workspace.list', params: {} })]);
        await waitFor(`the reply to ${marker}`, () => answers(marker));
        const refused = answers(follow);
        if (refused) assert.equal((refused.error as { code: string }).code, 'no_capacity', JSON.stringify(refused));
        return !refused && follow;
      },
      15_000,
      200,
    );
    assert.equal(answers(running), undefined, 'the follow runs');
  });
});
