import * as assert from 'node:assert/strict';
import { UsageError } from '../../../../cli/args';
import { formatTime } from '../../../../cli/format';
import { volumeArgument, volumeDeletionStep, volumeRow } from '../../../../cli/commands/volumes';
import { METHODS } from '../../../../protocol';

describe('cli: berth volumes rm asks twice', () => {
  it('refuses without --yes, terminal or not', () => {
    for (const tty of [true, false]) {
      const step = volumeDeletionStep('data', false, undefined, tty);
      assert.ok(typeof step === 'object' && /say so twice/.test(step.refuse));
    }
  });

  it('with --yes, asks for the name at a terminal, and wants --confirm without one', () => {
    assert.equal(volumeDeletionStep('data', true, undefined, true), 'prompt');
    const step = volumeDeletionStep('data', true, undefined, false);
    assert.ok(typeof step === 'object' && step.refuse.includes('--confirm data'));
  });

  it('deletes with --yes and --confirm of the same name only', () => {
    assert.equal(volumeDeletionStep('data', true, 'data', false), 'confirmed');
    const step = volumeDeletionStep('data', true, 'Data', false);
    assert.ok(typeof step === 'object' && /is not the volume to delete.*nothing deleted/.test(step.refuse));
  });
});

describe('cli: berth volumes arguments and rows', () => {
  it('takes a volume name, and refuses anything else before any request', () => {
    assert.equal(volumeArgument('data', 'usage'), 'data');
    for (const bad of ['', '../x', '-data', 'a b', 'x'.repeat(101)]) {
      assert.throws(() => volumeArgument(bad, 'usage'), UsageError, bad);
    }
  });

  it('shows name, owner, workspaces (or none), size (or ?) and creation time', () => {
    const volume = {
      name: 'data',
      owner: 'alice',
      volume: 'berth-vol-x-alice.data',
      bytes: 3 * 1024 ** 2,
      workspaces: ['api', 'web'],
      createdAt: '2026-12-01T12:00:00.000Z',
    };
    assert.deepEqual(volumeRow(volume), ['data', 'alice', 'api, web', '3 MiB', formatTime(volume.createdAt)]);
    assert.deepEqual(volumeRow({ ...volume, workspaces: [], bytes: null, createdAt: null }).slice(2), [
      '(none)',
      '?',
      'unknown',
    ]);
  });
});

describe('protocol: volume methods', () => {
  it('take a volume name and an optional owner, and nothing else', () => {
    const params = METHODS['volume.delete'].params;
    assert.ok(params.safeParse({ name: 'data' }).success);
    assert.ok(params.safeParse({ name: 'data', owner: 'bob' }).success);
    for (const bad of [{}, { name: '../data' }, { name: 'data', owner: '__proto__' }, { name: 'data', force: true }]) {
      assert.ok(!params.safeParse(bad).success, JSON.stringify(bad));
    }
    assert.ok(!METHODS['volume.list'].params.safeParse({ user: 'bob' }).success);
  });
});
