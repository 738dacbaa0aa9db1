import * as assert from 'node:assert/strict';
import { formatTime } from '../../../cli/format';
import { LS_WIDTH, describeWorkspace, workspaceTable } from '../../../cli/workspace-view';
import { workspace } from '../../support/builders';

const GiB = 1024 ** 3;

describe('cli: berth ls and berth get', () => {
  const long = 'x'.repeat(63);
  const workspaces = [
    workspace('web', {
      idleStopAt: '2026-12-02T21:16:00.000Z',
      lastActivity: { at: '2026-12-02T20:46:00Z', signal: 'present' },
    }),
    workspace(long, {
      owner: 'a-user-with-a-long-name',
      state: 'failed',
      message: `could not start: ${'y'.repeat(300)}`,
    }),
    workspace('api', { state: 'failed', message: `disk full: ${'z'.repeat(200)}` }),
    workspace(
      'train',
      { state: 'stopped', stopReason: 'idle', gpus: [{ uuid: 'GPU-1', index: '0', name: 'H100' }] },
      { gpus: 1 },
    ),
  ];

  it(`fits ${LS_WIDTH} columns by default, even with long names and messages, owners shown`, () => {
    for (const withOwner of [false, true]) {
      const lines = workspaceTable(workspaces, withOwner, false).split('\n');
      for (const line of lines) assert.ok(line.length <= LS_WIDTH, `${line.length} columns: ${line}`);
      assert.match(
        lines[0] ?? '',
        withOwner
          ? /^NAME\s+OWNER\s+STATE\s+CPUS\s+MEMORY\s+GPUS\s+NOTE$/
          : /^NAME\s+STATE\s+CPUS\s+MEMORY\s+GPUS\s+NOTE$/,
      );
    }
    const text = workspaceTable(workspaces, false, false);
    assert.match(text, /^web\s+running\s+2\s+4 GiB\s+0\s+idle stop 2026-12-02 \d\d:16 \S+$/m);
    assert.match(text, /^x{23}…\s+failed\s+.*could not start: y+…$/m, 'a long message is cut');
    assert.match(text, /^api\s+failed\s+.*disk full: z+… \(berth get api\)$/m, 'and points at berth get');
    assert.match(text, /^train\s+stopped\s+2\s+4 GiB\s+0\s+stopped: idle$/m);
  });

  it('shows every column in full with -o wide', () => {
    const lines = workspaceTable(workspaces, true, true).split('\n');
    assert.match(
      lines[0] ?? '',
      /^NAME\s+OWNER\s+STATE\s+SSH\s+IMAGE\s+CPUS\s+MEMORY\s+GPUS\s+SINCE\s+LAST ACTIVITY\s+IDLE STOP\s+HOME\s+LAYER\s+DOCKER\s+MESSAGE$/,
    );
    assert.ok(lines.some((line) => line.includes(long) && line.endsWith(`y`.repeat(300))));
  });

  it('prints every field of one workspace with berth get, times in the one format', () => {
    const ws = workspace(
      'nb',
      { keepUntil: '2026-12-03T09:00:00Z', message: 'm'.repeat(300) },
      { gpus: 2, gpuModel: 'H100', gpuMemory: 40 * GiB, env: { A: '1' }, idleTimeout: 0, timezone: 'Europe/Berlin' },
    );
    const text = describeWorkspace(ws);
    for (const [key, value] of [
      ['Name', 'nb'],
      ['Owner', 'alice'],
      ['State', `running since ${formatTime(ws.since)}`],
      ['Message', 'm'.repeat(300)],
      ['GPUs', '2, model H100, at least 40 GiB'],
      ['SSH', 'dev@127.0.0.1 port 2222 (enter it with: berth ssh nb)'],
      ['Environment', 'A=1'],
      ['Idle timeout', 'never'],
      ['Time zone', 'Europe/Berlin'],
      ['Kept running', `until ${formatTime('2026-12-03T09:00:00Z')}`],
      ['Disk', 'not measured yet'],
    ]) {
      assert.match(text, new RegExp(`^${key} +${value!.replace(/[()]/g, '\\$&')}$`, 'm'));
    }
  });

  it('prints the recent history with times, the last stop, and spec fields it does not know', () => {
    const ws = workspace(
      'nb',
      {
        state: 'stopped',
        stopReason: 'idle',
        history: [
          { at: '2026-12-02T08:00:00Z', event: 'created' },
          { at: '2026-12-02T08:01:00Z', event: 'started' },
          { at: '2026-12-02T09:00:00Z', event: 'stopped', reason: 'idle', message: 'nobody present' },
        ],
      },
      { secrets: [{ key: 'tok', env: 'TOKEN' }], buildContext: '/src' } as object,
    );
    const text = describeWorkspace(ws);
    assert.match(text, /^Secrets +key=tok env=TOKEN$/m);
    assert.match(text, /^Build context +\/src$/m);
    assert.match(
      text,
      new RegExp(`^Last stop +idle at ${formatTime('2026-12-02T09:00:00Z')} \\(nobody present\\)$`, 'm'),
    );
    const history = text.slice(text.indexOf('\nHistory:') + 1).split('\n');
    assert.deepEqual(history, [
      'History:',
      `  ${formatTime('2026-12-02T08:00:00Z')}  created`,
      `  ${formatTime('2026-12-02T08:01:00Z')}  started`,
      `  ${formatTime('2026-12-02T09:00:00Z')}  stopped (idle): nobody present`,
    ]);
  });

  it('shows the last 20 history entries and says where the rest are', () => {
    const history = Array.from({ length: 30 }, (_, i) => ({
      at: '2026-12-02T08:00:00Z',
      event: 'started' as const,
      message: `${i}`,
    }));
    const text = describeWorkspace(workspace('nb', { history }));
    assert.match(text, /^History \(the last 20; 10 earlier with -o yaml\):$/m);
    assert.match(text, /started: 10$/m);
    assert.doesNotMatch(text, /started: 9$/m);
  });

  it('prints times one way, with the zone', () => {
    assert.equal(formatTime('2026-12-02T21:16:00Z', 'UTC'), '2026-12-02 21:16 UTC');
    assert.equal(formatTime('2026-12-02T21:16:00Z', 'America/New_York'), '2026-12-02 16:16 EST');
    assert.equal(formatTime('2026-12-02T23:30:00Z', 'Asia/Tokyo'), '2026-12-03 08:30 GMT+9');
    assert.equal(formatTime(undefined), '-');
  });
  it('says a workspace that runs Docker inside is privileged: ls -o wide and get', () => {
    const ci = workspace('ci', {}, { docker: true });
    const wide = workspaceTable([ci, workspace('web')], false, true).split('\n');
    const column = wide[0]?.indexOf('DOCKER') ?? -1;
    assert.ok(column > 0, wide[0]);
    assert.equal(wide[1]?.slice(column).split(/\s{2,}/)[0], 'privileged');
    assert.notEqual(wide[2]?.slice(column).split(/\s{2,}/)[0], 'privileged');
    assert.match(describeWorkspace(ci), /^Docker inside +yes: privileged, root in it is root on the host$/m);
    assert.match(describeWorkspace(workspace('web')), /^Docker inside +no$/m);
  });
});
