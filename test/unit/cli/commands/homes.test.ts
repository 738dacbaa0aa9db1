import * as assert from 'node:assert/strict';
import { formatTime } from '../../../../cli/format';
import { deletionStep, homeArgument, homeRow, keptByOwner } from '../../../../cli/commands/homes';
import type { Home } from '../../../../protocol';

const ID = '3fa29c01b2d4';
const home = (extra: Partial<Home>): Home => ({
  id: ID,
  volume: `berth-${ID}-home`,
  owner: 'alice',
  workspace: null,
  madeFor: 'web',
  bytes: 3 * 1024 ** 2,
  lastUsed: '2026-12-01T12:00:00.000Z',
  createdAt: null,
  ...extra,
});

describe('cli: berth homes rm asks twice', () => {
  it('refuses without --yes, terminal or not', () => {
    for (const tty of [true, false]) {
      const step = deletionStep(ID, false, undefined, tty);
      assert.ok(typeof step === 'object' && /say so twice/.test(step.refuse));
    }
  });

  it('with --yes, asks for the id at a terminal, and wants --confirm without one', () => {
    assert.equal(deletionStep(ID, true, undefined, true), 'prompt');
    const step = deletionStep(ID, true, undefined, false);
    assert.ok(typeof step === 'object' && step.refuse.includes(`--confirm ${ID}`));
  });

  it('deletes only when --confirm names the same home', () => {
    assert.equal(deletionStep(ID, true, ID, false), 'confirmed');
    assert.equal(deletionStep(ID, true, `berth-${ID}-home`, false), 'confirmed');
    const other = deletionStep(ID, true, '000000000000', false);
    assert.ok(typeof other === 'object' && /not the home to delete/.test(other.refuse));
  });
});

describe('cli: homes as berth homes ls shows them', () => {
  it('says a kept home has no workspace, and its size and last use', () => {
    const row = homeRow(home({}));
    assert.deepEqual([...row.slice(0, 4), row[5]], [ID, 'alice', '(kept, no workspace)', '3 MiB', 'web']);
    assert.equal(row[4], formatTime(home({}).lastUsed), "last use in the CLI's one time format");
  });

  it('marks what is unknown instead of guessing', () => {
    const row = homeRow(home({ owner: null, bytes: null, lastUsed: null, madeFor: null }));
    assert.deepEqual(row.slice(1), ['(unknown)', '(kept, no workspace)', '?', 'unknown', '']);
  });

  it('sums the kept homes of each owner, leaving out homes in use', () => {
    const sums = keptByOwner([
      home({}),
      home({ bytes: 1024 ** 2 }),
      home({ workspace: 'web2' }),
      home({ owner: 'bob' }),
    ]);
    assert.deepEqual(
      [...sums],
      [
        ['alice', { count: 2, bytes: 4 * 1024 ** 2 }],
        ['bob', { count: 1, bytes: 3 * 1024 ** 2 }],
      ],
    );
  });

  it('takes a volume name for a home id, and refuses anything else', () => {
    assert.equal(homeArgument(`berth-${ID}-home`, 'usage'), ID);
    assert.throws(() => homeArgument('x;rm', 'usage'), /"x;rm" is not a home id/);
  });
});
