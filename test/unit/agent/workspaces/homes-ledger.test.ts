import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HomeLedger } from '../../../../agent/workspaces/homes-ledger';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const ID = '3fa29c01b2d4';
const HOME = { owner: 'alice', name: 'web', lastUsed: '2026-12-01T12:00:00.000Z' };

describe('homes: the kept-home ledger', () => {
  it('remembers a kept home across a reopen, and forgets it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-ledger-'));
    await (await HomeLedger.open(dir, quiet)).kept(ID, HOME);
    const reopened = await HomeLedger.open(dir, quiet);
    assert.deepEqual(reopened.get(ID), HOME);
    await reopened.forget(ID);
    assert.equal((await HomeLedger.open(dir, quiet)).get(ID), undefined);
  });

  it('sets an unreadable file aside and starts empty', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-ledger-'));
    writeFileSync(path.join(dir, 'homes.json'), '{"version":1,"homes":{"../x":{}}}');
    const warnings: string[] = [];
    const ledger = await HomeLedger.open(dir, { ...quiet, warn: (text: string) => warnings.push(text) });
    assert.equal(ledger.get('../x'), undefined);
    assert.ok(existsSync(path.join(dir, 'homes.json.unreadable')));
    assert.match(warnings.join('\n'), /not a valid list of kept homes/);
  });
});
