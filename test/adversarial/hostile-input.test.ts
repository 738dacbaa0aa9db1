import * as assert from 'node:assert/strict';
import type { AgentClient } from '../../client/agent-client';
import type { ErrorCode, WorkspaceSpec } from '../../protocol';
import { labelledWithName } from '../support/docker';
import { useHostileAgent } from './hostile-harness';
import { HOSTILE, SPEC_FIELDS, VALID, request, wrongTypes, x } from './hostile-values';
import { SMALL, Wire, assertUp, freshPublicKey } from './support';

/** The spec hx-target was made with: a hostile update must leave it so. */
let target: WorkspaceSpec;

async function makeTargets(alice: AgentClient): Promise<void> {
  await alice.request('user.addKey', { key: freshPublicKey() });
  await alice.request('workspace.create', { name: 'hx-run', ...SMALL });
  target = (await alice.request('workspace.create', { name: 'hx-target', ...SMALL })).workspace.spec;
  await alice.request('workspace.stop', { name: 'hx-target' });
}

/** Deletes workspaces a hostile create made anyway (its case has failed by then), and puts hx-target back. */
async function tidy(admin: AgentClient): Promise<void> {
  const { workspaces } = await admin.request('workspace.list', {});
  for (const ws of workspaces.filter((w) => w.name.startsWith('hx-') && !['hx-target', 'hx-run'].includes(w.name))) {
    await admin.request('workspace.delete', { name: ws.name, owner: ws.owner, deleteData: true }).catch(() => null);
  }
  const { workspace } = await admin.request('workspace.get', { name: 'hx-target', owner: 'alice' });
  if (JSON.stringify(workspace.spec) === JSON.stringify(target)) return;
  const fields: Partial<WorkspaceSpec> = { ...target };
  delete fields.name;
  delete fields.user;
  await admin.request('workspace.update', {
    name: 'hx-target',
    owner: 'alice',
    changes: {
      ...{ gpuModel: null, gpuMemory: null, gpuUuids: null, timezone: null },
      ...{ idleTimeout: null, attachedGrace: null, maxLifetime: null },
      ...fields,
    },
  });
}

describe('adversarial: hostile inputs (every spec field, every other param)', function () {
  this.timeout(120_000);
  const h = useHostileAgent('hostile inputs: spec fields and params', makeTargets, tidy);
  let serial = 0;

  it('has hostile values for every field of the workspace spec', () => {
    assert.deepEqual(
      SPEC_FIELDS.filter((field) => !HOSTILE[field]?.length),
      [],
    );
  });

  for (const field of SPEC_FIELDS) {
    const values = [...HOSTILE[field], ...wrongTypes(VALID[field]), ['null', null] as [string, unknown]];
    describe(`spec field "${field}"`, () => {
      for (const [what, value] of values) {
        it(`create with ${what}: invalid_params naming ${field}`, async () => {
          const name = `hx-${serial++}`;
          const params = field === 'name' ? { ...SMALL, name: value } : { name, ...SMALL, [field]: value };
          await h.refusedOnce({
            frame: request('workspace.create', params),
            id: 1,
            codes: ['invalid_params'],
            mention: new RegExp(field),
          });
          assert.deepEqual(labelledWithName(name), { containers: [], volumes: [] }, 'it made Docker objects');
        });
        // null clears an optional field in an update: that is no hostile value there.
        if (value === null) continue;
        it(`update with ${what}: invalid_params naming ${field}, the workspace unchanged`, async () => {
          await h.refusedOnce({
            frame: request('workspace.update', { name: 'hx-target', changes: { [field]: value } }),
            id: 1,
            codes: ['invalid_params'],
            mention: new RegExp(field),
          });
          const { workspace } = await h.admin.request('workspace.get', { name: 'hx-target', owner: 'alice' });
          assert.deepEqual(workspace.spec, target);
        });
      }
    });
  }

  describe('other params', () => {
    const key = () => freshPublicKey().trim().split(' ');
    const trailing = () => {
      const [type, blob] = key();
      return `${type} ${Buffer.concat([Buffer.from(blob!, 'base64'), Buffer.from([0, 0, 0, 1, 0x41])]).toString('base64')}`;
    };
    const garbage = () =>
      `ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from('garbage')]).toString('base64')}`;
    const nul = () => {
      const [type, blob] = key();
      return `${type} ${blob!.slice(0, 20)}\u0000${blob!.slice(20)}`;
    };
    const refs: [string, unknown][] = [
      ['a name "__proto__"', { name: '__proto__' }],
      ['an owner "__proto__"', { name: 'hx-run', owner: '__proto__' }],
      ['an owner "constructor"', { name: 'hx-run', owner: 'constructor' }],
      ['an owner "toString"', { name: 'hx-run', owner: 'toString' }],
      ['an owner of 100,000 characters', { name: 'hx-run', owner: `a${x(100_000)}` }],
    ];
    const paramCases: [string, string, () => unknown, ErrorCode[], boolean?][] = [
      ...refs.map(([what, ref]): [string, string, () => unknown, ErrorCode[], boolean] => [
        'workspace.get',
        what,
        () => ref,
        ['invalid_params', 'not_found'],
        true,
      ]),
      ['workspace.logs', 'a negative tail', () => ({ name: 'hx-run', tail: -1 }), ['invalid_params']],
      ['workspace.logs', 'a tail of 1e13', () => ({ name: 'hx-run', tail: 1e13 }), ['invalid_params']],
      ['workspace.logs', 'a fractional tail', () => ({ name: 'hx-run', tail: 1.5 }), ['invalid_params']],
      ['workspace.logs', 'a tail "all"', () => ({ name: 'hx-run', tail: 'all' }), ['invalid_params']],
      ['workspace.start', 'a negative GPU wait', () => ({ name: 'hx-target', waitForGpus: -1 }), ['invalid_params']],
      ['workspace.start', 'a GPU wait of 1e13 s', () => ({ name: 'hx-target', waitForGpus: 1e13 }), ['invalid_params']],
      ['workspace.start', 'a fractional GPU wait', () => ({ name: 'hx-target', waitForGpus: 1.5 }), ['invalid_params']],
      ['workspace.delete', 'deleteData "yes"', () => ({ name: 'hx-target', deleteData: 'yes' }), ['invalid_params']],
      ['workspace.activity', 'another signal', () => ({ name: 'hx-run', signal: 'busy' }), ['invalid_params']],
      ['workspace.keepalive', '0 seconds', () => ({ name: 'hx-run', seconds: 0 }), ['invalid_params']],
      ['workspace.keepalive', 'negative seconds', () => ({ name: 'hx-run', seconds: -5 }), ['invalid_params']],
      ['workspace.keepalive', 'fractional seconds', () => ({ name: 'hx-run', seconds: 1.5 }), ['invalid_params']],
      ['workspace.keepalive', 'seconds "1h"', () => ({ name: 'hx-run', seconds: '1h' }), ['invalid_params']],
      ['workspace.keepalive', '1e13 seconds', () => ({ name: 'hx-run', seconds: 1e13 }), ['invalid_params']],
      ['idle.status', 'dryRun "yes"', () => ({ dryRun: 'yes' }), ['invalid_params']],
      ['user.addKey', 'an empty key', () => ({ key: '' }), ['invalid_params']],
      ['user.addKey', 'a key over 16 KiB', () => ({ key: `ssh-ed25519 ${x(16 * 1024)}` }), ['invalid_params']],
      ['user.addKey', 'a truncated key', () => ({ key: 'ssh-ed25519 AAAA' }), ['invalid_params']],
      ['user.addKey', 'an ed25519 key of garbage bytes', () => ({ key: garbage() }), ['invalid_params']],
      ['user.addKey', 'an ed25519 key with trailing bytes', () => ({ key: trailing() }), ['invalid_params']],
      ['user.addKey', 'a NUL byte in the key', () => ({ key: nul() }), ['invalid_params']],
      [
        'user.addKey',
        'a user "__proto__"',
        () => ({ user: '__proto__', key: freshPublicKey() }),
        ['invalid_params', 'not_found'],
        true,
      ],
      [
        'user.addKey',
        'a user "constructor"',
        () => ({ user: 'constructor', key: freshPublicKey() }),
        ['invalid_params', 'not_found'],
        true,
      ],
      ...['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'].map(
        (user): [string, string, () => unknown, ErrorCode[], boolean] => [
          'user.keys',
          `a user "${user}"`,
          () => ({ user }),
          ['invalid_params', 'not_found'],
          true,
        ],
      ),
      ['user.removeKey', 'a fingerprint of 257 characters', () => ({ fingerprint: x(257) }), ['invalid_params']],
      ['user.removeKey', 'an empty fingerprint', () => ({ fingerprint: '' }), ['invalid_params']],
      [
        'user.removeKey',
        'a user "__proto__"',
        () => ({ user: '__proto__', fingerprint: 'SHA256:x' }),
        ['invalid_params', 'not_found'],
        true,
      ],
      ['user.tokens', 'a user "__proto__"', () => ({ user: '__proto__' }), ['invalid_params', 'not_found'], true],
      ['user.tokens', 'a user "constructor"', () => ({ user: 'constructor' }), ['invalid_params', 'not_found'], true],
      ['user.revokeToken', 'an id of other letters', () => ({ id: 'ZZZZZZZZ' }), ['invalid_params']],
      ['user.revokeToken', 'an id with ".."', () => ({ id: '../../..' }), ['invalid_params']],
      ['user.revokeToken', 'a numeric id', () => ({ id: 42 }), ['invalid_params']],
      [
        'user.revokeToken',
        'all of user "__proto__"',
        () => ({ user: '__proto__', all: true }),
        ['invalid_params', 'not_found'],
        true,
      ],
      [
        'user.revokeToken',
        'all of user "constructor"',
        () => ({ user: 'constructor', all: true }),
        ['invalid_params', 'not_found'],
        true,
      ],
      [
        'user.setQuota',
        'user "__proto__"',
        () => ({ user: '__proto__', gpus: 0 }),
        ['invalid_params', 'not_found'],
        true,
      ],
      [
        'user.setQuota',
        'user "constructor"',
        () => ({ user: 'constructor', gpus: 0 }),
        ['invalid_params', 'not_found'],
        true,
      ],
      ['user.setQuota', 'a negative quota', () => ({ user: 'alice', gpus: -1 }), ['invalid_params'], true],
      ['user.setQuota', 'a quota of 1e13', () => ({ user: 'alice', gpus: 1e13 }), ['invalid_params'], true],
      ['user.setQuota', 'a fractional quota', () => ({ user: 'alice', gpus: 1.5 }), ['invalid_params'], true],
      // Secrets: names and values refused before anything is stored.
      ['secret.set', 'a name with ".."', () => ({ name: '../x', value: 'v' }), ['invalid_params']],
      ['secret.set', 'a name "__proto__"', () => ({ name: '__proto__', value: 'v' }), ['invalid_params']],
      ['secret.set', 'a value over 64 KiB', () => ({ name: 'HX', value: x(64 * 1024 + 1) }), ['invalid_params']],
      ['secret.set', 'a NUL in the value', () => ({ name: 'HX', value: 'a\u0000b' }), ['invalid_params']],
      ['secret.set', 'an empty value', () => ({ name: 'HX', value: '' }), ['invalid_params']],
      ['secret.set', 'a numeric value', () => ({ name: 'HX', value: 42 }), ['invalid_params']],
      ['secret.delete', 'a name "constructor"', () => ({ name: 'constructor' }), ['invalid_params']],
      ['secret.delete', 'a name of 100,000 characters', () => ({ name: `A${x(100_000)}` }), ['invalid_params']],
      // The feature store (admins): refs that would leave the store's folder, tarballs that are none.
      ...(
        [
          ['a ref with ".."', { ref: 'ghcr.io/../../etc/x:1', tarball: '' }],
          ['a ref without a version', { ref: 'ghcr.io/x/y', tarball: '' }],
          ['a tarball that is not base64', { ref: 'ghcr.io/x/y:1', tarball: '!!!' }],
          ['a tarball over 512 KiB', { ref: 'ghcr.io/x/y:1', tarball: 'A'.repeat(700_000) }],
          ['a tarball that is no tar', { ref: 'ghcr.io/x/y:1', tarball: Buffer.from('hello').toString('base64') }],
        ] as const
      ).map(([what, params]): [string, string, () => unknown, ErrorCode[], boolean?] => [
        'feature.import',
        what,
        () => params,
        ['invalid_params'],
        true,
      ]),
      // Named volumes: names and owners refused before anything reaches Docker.
      ['volume.delete', 'a name with ".."', () => ({ name: '../data' }), ['invalid_params']],
      ['volume.delete', 'a name "__proto__"', () => ({ name: '__proto__' }), ['invalid_params']],
      ['volume.delete', 'a name of 101 characters', () => ({ name: `a${x(100)}` }), ['invalid_params']],
      ['volume.delete', 'a name with a "/"', () => ({ name: 'a/b' }), ['invalid_params']],
      ['volume.delete', 'an owner "__proto__"', () => ({ name: 'data', owner: '__proto__' }), ['invalid_params'], true],
      [
        'volume.delete',
        'an owner "constructor"',
        () => ({ name: 'data', owner: 'constructor' }),
        ['invalid_params'],
        true,
      ],
      ['volume.delete', 'an owner with a "."', () => ({ name: 'data', owner: 'a.b' }), ['invalid_params'], true],
      ['volume.list', 'a user to list', () => ({ user: 'bob' }), ['invalid_params']],
      ['feature.remove', 'a ref with ".."', () => ({ ref: 'ghcr.io/x/../../y:1' }), ['invalid_params'], true],
    ];
    for (const [method, what, params, codes, asAdmin] of paramCases) {
      it(`${method} with ${what}: ${codes.join(' or ')}`, async () => {
        await h.refusedOnce({
          frame: request(method, params()),
          id: 1,
          codes,
          ...(asAdmin ? { admin: true } : {}),
        });
      });
    }

    it("workspace.keepalive past the agent's maximum (30 days): capped, not an error", async () => {
      h.count();
      const wire = await Wire.greeted(h.agent.url, h.aliceToken);
      try {
        const reply = await wire.request('workspace.keepalive', { name: 'hx-run', seconds: 30 * 86400 });
        assert.ok('result' in reply, JSON.stringify(reply));
        assert.equal((reply.result as { capped: boolean }).capped, true);
        const idle = await wire.request('idle.status', { dryRun: true });
        assert.ok('result' in idle, JSON.stringify(idle));
      } finally {
        wire.close();
      }
      await assertUp(h.agent);
    });
  });
});
