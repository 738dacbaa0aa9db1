import * as assert from 'node:assert/strict';
import type { WorkspaceUsage } from '../../../../protocol';
import { pollInterval, UsagePoller, usageNodes } from '../../../../extension/tree/usage';
import { waitFor } from '../../../support/wait';

const USAGE: WorkspaceUsage = {
  sampledAt: null,
  interval: 1,
  cpu: null,
  cpus: 1,
  memory: 100 * 1024 ** 2,
  memoryLimit: 1024 ** 3,
  gpus: [],
};

/** A poller whose fetches are counted and answered with `answer()`. */
function poller(answer: () => Promise<WorkspaceUsage | null> = () => Promise.resolve(USAGE)) {
  const fetched: string[] = [];
  const changed: string[] = [];
  const usage = new UsagePoller(
    (_hostId, parentId) => {
      fetched.push(parentId);
      return answer();
    },
    (parentId) => changed.push(parentId),
  );
  return { usage, fetched, changed };
}

describe('tree: usage rows', () => {
  it('shows a loading row, then the usage, then why it is unavailable', () => {
    assert.deepEqual(
      usageNodes('lab', 'workspace:lab:1', undefined).map((node) => node.label),
      ['Reading usage…'],
    );
    const rows = usageNodes('lab', 'workspace:lab:1', { usage: USAGE });
    assert.deepEqual(
      rows.map((node) => [node.id, node.label]),
      [
        ['usage:workspace:lab:1:cpu', 'CPU'],
        ['usage:workspace:lab:1:memory', 'Memory'],
      ],
    );
    const [failed] = usageNodes('lab', 'workspace:lab:1', { error: 'lab is not connected' });
    assert.deepEqual([failed?.label, failed?.description], ['Usage unavailable', 'lab is not connected']);
  });

  it('refreshes as often as the agent samples, within 3 to 15 seconds', () => {
    assert.equal(pollInterval({ ...USAGE, interval: 1 }), 3_000);
    assert.equal(pollInterval({ ...USAGE, interval: 10 }), 10_000);
    assert.equal(pollInterval({ ...USAGE, interval: 30 }), 15_000);
  });
});

describe('tree: the usage refresh follows what is on screen', () => {
  it('reads a row once it is watched and tells which row to redraw', async () => {
    const { usage, fetched, changed } = poller();
    usage.watch('lab', 'row-1');
    await waitFor('the row to be redrawn', () => changed.length === 1);
    assert.deepEqual(fetched, ['row-1']);
    assert.deepEqual(usage.state('row-1'), { usage: USAGE });
    usage.dispose();
  });

  it('reads nothing while the view is hidden, and reads at once when it shows', async () => {
    const { usage, fetched, changed } = poller();
    usage.setVisible(false);
    usage.watch('lab', 'row-1');
    assert.deepEqual(fetched, []);
    usage.setVisible(true);
    await waitFor('the row to be read once visible', () => changed.length === 1);
    usage.dispose();
  });

  it('stops and forgets a row on unwatch, and one whose workspace no longer runs', async () => {
    let running = true;
    const { usage, changed } = poller(() => Promise.resolve(running ? USAGE : null));
    usage.watch('lab', 'row-1');
    usage.watch('lab', 'row-2');
    await waitFor('both rows to be read', () => changed.length === 2);
    usage.unwatch('row-1');
    assert.deepEqual(usage.watching, ['row-2']);
    running = false;
    usage.setVisible(false);
    usage.setVisible(true);
    await waitFor('the stopped workspace to be dropped', () => usage.watching.length === 0);
    assert.equal(usage.state('row-2'), undefined);
  });

  it('keeps the error of a failed read for the row to show', async () => {
    const { usage, changed } = poller(() => Promise.reject(new Error('lab is not connected (still connecting)')));
    usage.watch('lab', 'row-1');
    await waitFor('the failure to be shown', () => changed.length === 1);
    assert.deepEqual(usage.state('row-1'), { error: 'lab is not connected (still connecting)' });
    usage.dispose();
  });
});
