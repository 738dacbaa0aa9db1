import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { bytesFrameHeader, type ErrorCode } from '../../protocol';
import { berth } from '../support/agent-process';
import { useHostileAgent } from './hostile-harness';
import { nested, x } from './hostile-values';
import { MiB, Wire, assertUp, errorOf, stateFile } from './support';

describe('adversarial: hostile frames (every frame shape, handshakes, user names on the host)', function () {
  this.timeout(120_000);
  const h = useHostileAgent('hostile inputs: frames');

  describe('frames after the handshake', () => {
    const text: [string, string][] = [
      ['text that is not JSON', 'hello'],
      ['a torn JSON object', '{"id":1,'],
      ['an empty frame', ''],
      ['a lone space', ' '],
      ['a NUL byte', '\u0000'],
      ['JSON with trailing text', '{"id":1,"method":"host.info"}}'],
      ['NaN', 'NaN'],
      ['JSON null', 'null'],
      ['a JSON number', '42'],
      ['a JSON string', '"host.info"'],
      ['an empty JSON list', '[]'],
      ['a list of requests', '[{"id":1,"method":"host.info","params":{}}]'],
      ['JSON true', 'true'],
      ['an empty object', '{}'],
      ['a list nested 500,000 deep', nested(500_000)],
      ['an object nested 150,000 deep', `${'{"a":'.repeat(150_000)}1${'}'.repeat(150_000)}`],
      ['a request without an id', '{"method":"host.info","params":{}}'],
      ['an id of null', '{"id":null,"method":"host.info","params":{}}'],
      ['an empty string id', '{"id":"","method":"host.info","params":{}}'],
      ['an id of 65 characters', `{"id":"${x(65)}","method":"host.info","params":{}}`],
      ['a fractional id', '{"id":1.5,"method":"host.info","params":{}}'],
      ['an object id', '{"id":{},"method":"host.info","params":{}}'],
      ['a list id', '{"id":[1],"method":"host.info","params":{}}'],
      ['a boolean id', '{"id":true,"method":"host.info","params":{}}'],
      ['a cancel of an object', '{"cancel":{}}'],
      ['a second hello', '{"hello":{"protocol":2,"client":"t"}}'],
    ];
    for (const [what, frame] of text) {
      it(`${what}: bad_frame with a null id`, () => h.refusedOnce({ frame, id: null, codes: ['bad_frame'] }));
    }

    const withId: [string, string, ErrorCode][] = [
      ['a request without a method', '{"id":1,"params":{}}', 'bad_frame'],
      ['a numeric method', '{"id":1,"method":42,"params":{}}', 'bad_frame'],
      ['a method of 101 characters', `{"id":1,"method":"${x(101)}","params":{}}`, 'bad_frame'],
      ['an unknown top-level key', '{"id":1,"method":"host.info","params":{},"admin":true}', 'bad_frame'],
      [
        'a top-level "__proto__" key',
        '{"__proto__":{"admin":true},"id":1,"method":"host.info","params":{}}',
        'bad_frame',
      ],
      ['a cancel with an id', '{"cancel":1,"id":1}', 'bad_frame'],
      ['params that are a list', '{"id":1,"method":"host.info","params":[]}', 'invalid_params'],
      ['params that are a string', '{"id":1,"method":"host.info","params":"x"}', 'invalid_params'],
      ['params that are a number', '{"id":1,"method":"host.info","params":42}', 'invalid_params'],
      [
        'a "__proto__" key in params',
        '{"id":1,"method":"workspace.create","params":{"name":"hx-proto","__proto__":{"gpuUuids":["GPU-1"]}}}',
        'invalid_params',
      ],
      [
        'a "__proto__" user in params',
        '{"id":1,"method":"user.keys","params":{"__proto__":{"user":"root"}}}',
        'invalid_params',
      ],
      [
        'params nested 400,000 deep',
        `{"id":1,"method":"workspace.create","params":{"name":"hx-deep","env":{"A":${nested(400_000)}}}}`,
        'invalid_params',
      ],
      ...['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'].map(
        (method): [string, string, ErrorCode] => [
          `the method "${method}"`,
          `{"id":1,"method":"${method}","params":{}}`,
          'unknown_method',
        ],
      ),
    ];
    for (const [what, frame, code] of withId) {
      it(`${what}: ${code} with its id`, () => h.refusedOnce({ frame, id: 1, codes: [code] }));
    }

    it('a binary frame holding a request: bad_frame', () =>
      h.refusedOnce({
        frame: Buffer.from('{"id":1,"method":"host.info","params":{}}'),
        id: null,
        codes: ['bad_frame'],
        mention: /binary/,
      }));

    it('a binary frame of bytes for a request that takes none: bad_frame', () =>
      h.refusedOnce({
        frame: Buffer.concat([bytesFrameHeader(7), Buffer.from('context')]),
        id: null,
        codes: ['bad_frame'],
        mention: /image\.build/,
      }));

    it('a binary frame of 64 KiB of noise: bad_frame', () =>
      h.refusedOnce({
        frame: Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 7919) % 256)),
        id: null,
        codes: ['bad_frame'],
      }));

    it('a text frame of 2 MiB: frame_too_large, the connection goes on', () =>
      h.refusedOnce({
        frame: `{"id":1,"method":"host.info","params":{"pad":"${x(2 * MiB)}"}}`,
        id: null,
        codes: ['frame_too_large'],
        mention: /1048576/,
      }));

    it('a binary frame of 2 MiB: frame_too_large, the connection goes on', () =>
      h.refusedOnce({ frame: Buffer.alloc(2 * MiB, 0x7b), id: null, codes: ['frame_too_large'] }));

    for (const [what, frame, code] of [
      ['a frame of 5 MiB', `"${x(5 * MiB)}"`, 1009],
      ['a text frame of invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 1007],
    ] as const) {
      it(`${what}: the connection is closed with ${code}, and the agent serves the next one`, async () => {
        h.count();
        const wire = await Wire.greeted(h.agent.url, h.aliceToken);
        try {
          if (typeof frame === 'string') wire.send(frame);
          else wire.ws.send(frame, { binary: false });
          assert.equal((await wire.closed()).code, code);
        } finally {
          wire.close();
        }
        const next = await Wire.greeted(h.agent.url, h.aliceToken);
        try {
          assert.ok('result' in (await next.request('workspace.list', {})));
        } finally {
          next.close();
        }
        await assertUp(h.agent);
      });
    }
  });

  describe('first frames (the handshake)', () => {
    const hellos: [string, unknown, ErrorCode][] = [
      ['a client name of 201 characters', `{"hello":{"protocol":2,"client":"${x(201)}"}}`, 'bad_frame'],
      ['a protocol given as a string', '{"hello":{"protocol":"2","client":"t"}}', 'bad_frame'],
      ['an unknown key', '{"hello":{"protocol":2,"client":"t","admin":true}}', 'bad_frame'],
      ['a "__proto__" key', '{"hello":{"protocol":2,"client":"t","__proto__":{"admin":true}}}', 'bad_frame'],
      ['a binary hello', Buffer.from('{"hello":{"protocol":2,"client":"t"}}'), 'bad_frame'],
      ['a hello of 2 MiB', `{"hello":{"protocol":2,"client":"${x(2 * MiB)}"}}`, 'frame_too_large'],
      ['a hello nested 500,000 deep', nested(500_000), 'bad_frame'],
    ];
    for (const [what, frame, code] of hellos) {
      it(`${what}: ${code}, then the socket is closed with 1002`, async () => {
        h.count();
        const wire = await Wire.open(h.agent.url, h.aliceToken);
        try {
          wire.send(frame);
          errorOf(await wire.reply(null), [code]);
          assert.equal((await wire.closed()).code, 1002);
          assert.equal(wire.pendingReplies(null), 0, 'a second error');
          assert.ok(!wire.frames.some((f) => 'welcome' in f), 'it was welcomed');
        } finally {
          wire.close();
        }
        await assertUp(h.agent);
      });
    }
  });

  describe('user names on the host (berth token create)', () => {
    for (const user of ['__proto__', 'constructor']) {
      it(`refuses --user ${user}, saying why first, and the users file keeps working`, async () => {
        h.count();
        const file = stateFile(h.agent, 'users.json');
        const before = await fs.readFile(file, 'utf8');
        const run = berth(['token', 'create', '--user', user, '--state-dir', h.agent.stateDir]);
        const after = await fs.readFile(file, 'utf8');
        // Put the file back whatever happened, so that later cases meet the users they expect.
        if (after !== before) await fs.writeFile(file, before);
        assert.notEqual(run.code, 0, `it minted a token: ${run.stdout}`);
        // One line says what is wrong (a usage summary may follow it, as for every usage mistake).
        const first = run.stderr.trim().split('\n')[0] ?? '';
        assert.match(first, new RegExp(`user.*${user}`), run.stderr);
        assert.equal(after, before, 'the users file changed');
        const wire = await Wire.greeted(h.agent.url, h.aliceToken);
        try {
          assert.ok('result' in (await wire.request('workspace.list', {})));
        } finally {
          wire.close();
        }
        await assertUp(h.agent);
      });
    }
  });
});
