import * as assert from 'node:assert/strict';
import type { AgentClient } from '../../client/agent-client';
import { PROTOCOL_VERSION, type Reply } from '../../protocol';
import { labelledWithName } from '../support/docker';
import { RawConnection } from '../support/raw-ws';
import { useAgent } from '../support/use-agent';

/** Asserts that `reply` is an error with `code` and returns its message. */
function errorOf(reply: Reply, code: string): string {
  assert.ok('error' in reply, `expected an error, got ${JSON.stringify(reply)}`);
  assert.equal(reply.error.code, code, reply.error.message);
  return reply.error.message;
}

describe('agent: bad input on the wire', function () {
  this.timeout(120_000);
  const agent = useAgent();
  let token: string;

  before(() => {
    token = agent.token('alice');
  });

  describe('requests after the handshake', () => {
    let raw: RawConnection;
    let nextId = 1;
    const request = (method: string, params: unknown) => raw.request(nextId++, method, params);

    beforeEach(async () => {
      raw = await RawConnection.greeted(agent.url, token);
    });

    afterEach(() => raw?.close());

    it('answers a frame that is not JSON with bad_frame and a null id', async () => {
      raw.send('{"id": 1, "method": ');
      errorOf(await raw.reply(null), 'bad_frame');
    });

    it('answers an unknown method with unknown_method and the request id', async () => {
      const reply = await raw.request('req-7', 'workspace.teleport', {});
      assert.equal(reply.id, 'req-7');
      assert.match(errorOf(reply, 'unknown_method'), /workspace\.teleport/);
    });

    it('answers a param of the wrong type with invalid_params naming the field', async () => {
      const message = errorOf(await request('workspace.create', { name: 'typo', cpus: 'two' }), 'invalid_params');
      assert.match(message, /cpus/);
    });

    it('answers an unknown param with invalid_params naming it', async () => {
      const message = errorOf(await request('workspace.create', { name: 'typo', colour: 'blue' }), 'invalid_params');
      assert.match(message, /colour/);
    });

    for (const [name, title] of [
      ['../x', 'refuses the name "../x"'],
      ['UPPER', 'refuses the name "UPPER"'],
      [`a${'b'.repeat(63)}`, 'refuses a name of 64 characters'],
    ]) {
      it(`${title} with invalid_params saying what a valid name is`, async () => {
        const message = errorOf(await request('workspace.create', { name }), 'invalid_params');
        assert.match(message, /^name: must be 1–63 lowercase letters, digits or hyphens, starting with a letter/);
      });
    }

    it('refuses an image the host lacks with image_not_found naming it, and creates nothing', async () => {
      const image = 'berth-test-no-such-image:never';
      const reply = await request('workspace.create', { name: 'bad-input-ghost', image });
      assert.ok(errorOf(reply, 'image_not_found').includes(image));
      const list = await request('workspace.list', {});
      assert.deepEqual(list, { id: nextId - 1, result: { workspaces: [] } });
      assert.deepEqual(labelledWithName('bad-input-ghost'), { containers: [], volumes: [] });
    });

    it('answers a frame over 1 MiB with frame_too_large, and the same connection goes on', async () => {
      raw.send({ id: nextId++, method: 'host.info', params: { padding: 'x'.repeat(2 * 1024 * 1024) } });
      assert.match(errorOf(await raw.reply(null), 'frame_too_large'), /limit of 1048576 bytes/);
      const info = await request('host.info', {});
      assert.ok('result' in info, JSON.stringify(info));
    });
  });

  describe('handshakes', () => {
    it('answers a first frame that is not a hello with bad_frame, then closes', async () => {
      const raw = await RawConnection.open(agent.url, token);
      raw.send({ id: 1, method: 'host.info', params: {} });
      assert.match(errorOf(await raw.reply(null), 'bad_frame'), /first frame must be \{"hello"/);
      assert.equal((await raw.closed()).code, 1002);
    });

    it('answers a first frame that is not JSON with bad_frame, then closes', async () => {
      const raw = await RawConnection.open(agent.url, token);
      raw.send('hello?');
      errorOf(await raw.reply(null), 'bad_frame');
      assert.equal((await raw.closed()).code, 1002);
    });

    it('answers a hello of protocol 99 with unsupported_version, then closes', async () => {
      const raw = await RawConnection.open(agent.url, token);
      raw.send({ hello: { protocol: 99, client: 't' } });
      assert.match(
        errorOf(await raw.reply(null), 'unsupported_version'),
        new RegExp(`protocol ${PROTOCOL_VERSION}, the client 99`),
      );
      assert.equal((await raw.closed()).code, 1002);
    });
  });

  describe('conflicting operations on one workspace', () => {
    let client: AgentClient;

    before(async () => {
      client = await agent.connect(token);
    });

    it('refuses a stop while the create still runs with conflict, and the create completes', async () => {
      // Resolved from the event itself, so that the stop is sent while the create is surely still running.
      const progressed = new Promise<void>((resolve) => {
        const unsubscribe = client.onEvent((event) => {
          if (event.event !== 'workspace.progress' || event.data.name !== 'busy') return;
          unsubscribe();
          resolve();
        });
      });
      const creating = client.request('workspace.create', { name: 'busy', memory: 256 * 1024 ** 2 });
      await progressed;

      await assert.rejects(client.request('workspace.stop', { name: 'busy' }), {
        code: 'conflict',
        message: /busy creating/,
      });
      const { workspace } = await creating;
      assert.equal(workspace.state, 'running');
    });
  });

  describe('afterwards', () => {
    it('keeps serving new connections, its process alive', async () => {
      assert.ok(agent.alive, 'the agent process runs');
      const client = await agent.connect(token);
      try {
        assert.equal((await client.request('host.info', {})).user.name, 'alice');
      } finally {
        client.close();
      }
    });
  });
});
