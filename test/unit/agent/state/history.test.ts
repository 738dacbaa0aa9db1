import * as assert from 'node:assert/strict';
import { HISTORY_LIMIT } from '../../../../protocol';
import { appendHistory, noteTransition, specChanged } from '../../../../agent/state/history';
import { WorkspaceRecord as StoredRecord } from '../../../../agent/state/record';
import { record } from '../../../support/builders';

const AT = '2024-05-02T08:00:00.000Z';

describe('agent: the lifecycle history of a workspace', () => {
  it(`keeps the last ${HISTORY_LIMIT} entries, dropping the oldest`, () => {
    const r = record('web');
    for (let i = 0; i < HISTORY_LIMIT + 7; i++) appendHistory(r, { at: AT, event: 'started', message: `run ${i}` });
    assert.equal(r.history?.length, HISTORY_LIMIT);
    assert.equal(r.history?.[0]?.message, 'run 7');
    assert.equal(r.history?.at(-1)?.message, `run ${HISTORY_LIMIT + 6}`);
  });

  it('notes a start, and a stop with its reason and message', () => {
    const r = record('web', { state: 'running', message: 'started outside Berth' });
    noteTransition(r, 'stopped', AT);
    Object.assign(r, { state: 'stopped', stopReason: 'outside', message: 'stopped outside Berth (exit code 137)' });
    noteTransition(r, 'running', AT);
    assert.deepEqual(r.history, [
      { at: AT, event: 'started', message: 'started outside Berth' },
      { at: AT, event: 'stopped', reason: 'outside', message: 'stopped outside Berth (exit code 137)' },
    ]);
  });

  it("notes a restart's stop with the reason it had before entering starting", () => {
    const r = record('web', { state: 'starting' });
    noteTransition(r, 'stopping', AT, 'user');
    assert.deepEqual(r.history, [{ at: AT, event: 'stopped', reason: 'user' }]);
  });

  it('notes a failure with its message, and no stop when an update clears a failure', () => {
    const r = record('web', { state: 'failed', message: 'exit code 1' });
    noteTransition(r, 'starting', AT);
    r.state = 'stopped';
    delete r.message;
    noteTransition(r, 'failed', AT);
    assert.deepEqual(r.history, [{ at: AT, event: 'failed', message: 'exit code 1' }]);
  });

  it('notes nothing when the state stays, or for the steps between (starting, stopping)', () => {
    const r = record('web', { state: 'running' });
    noteTransition(r, 'running', AT);
    r.state = 'stopping';
    noteTransition(r, 'running', AT);
    assert.equal(r.history, undefined);
  });

  it('tells a recreate (running, made again on the new spec) from an update', () => {
    const r = record('web', { state: 'starting' });
    specChanged(r, 'running', AT);
    r.state = 'stopped';
    specChanged(r, 'stopped', AT);
    assert.deepEqual(
      r.history?.map((e) => e.event),
      ['recreated', 'updated'],
    );
  });

  it('loads a record from before the history (none), and one with it', () => {
    const old: Partial<StoredRecord> = record('web');
    delete old.history;
    assert.equal(StoredRecord.parse(old).history, undefined);
    const withHistory = { ...old, history: [{ at: AT, event: 'created' }] };
    assert.deepEqual(StoredRecord.parse(withHistory).history, [{ at: AT, event: 'created' }]);
  });
});
