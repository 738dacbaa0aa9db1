import * as assert from 'node:assert/strict';
import { localTime } from '../../../../extension/wording/describe';
import { detailsText } from '../../../../extension/wording/details';
import { workspace } from '../../../support/builders';

describe('extension: the Show Details document', () => {
  const stopped = workspace(
    'nb',
    {
      state: 'stopped',
      stopReason: 'outside',
      message: 'the container ran out of memory (limit 512 MiB); raise it with berth update',
      history: [
        { at: '2026-12-02T08:00:00Z', event: 'created' },
        { at: '2026-12-02T08:01:00Z', event: 'started' },
        {
          at: '2026-12-02T09:00:00Z',
          event: 'stopped',
          reason: 'outside',
          message: 'stopped outside Berth (exit code 137)',
        },
      ],
    },
    { env: { TOKEN: 'sekrit' }, secrets: [{ key: 'tok', env: 'TOKEN' }] },
  );

  it('shows every field, the last stop and the history with times, in the extension’s words', () => {
    const text = detailsText(stopped, 'gpu-box');
    for (const line of [
      /^Berth workspace nb$/m,
      /^Host +gpu-box$/m,
      new RegExp(`^State +stopped \\(outside Berth\\) since ${localTime(stopped.since)}$`, 'm'),
      /^SSH +dev@127\.0\.0\.1 port 2222$/m,
      /^Secrets +key=tok env=TOKEN$/m,
      new RegExp(`^Last stop +outside, ${localTime('2026-12-02T09:00:00Z')}$`, 'm'),
      /^History \(oldest first\)$/m,
      new RegExp(`^ {2}${localTime('2026-12-02T08:00:00Z')} {2}created$`, 'm'),
      new RegExp(`^ {2}${localTime('2026-12-02T09:00:00Z')} {2}stopped \\(outside\\): stopped outside Berth`, 'm'),
    ]) {
      assert.match(text, line);
    }
  });

  it('never tells a VS Code user to run a command, and shows environment names without values', () => {
    const text = detailsText(stopped, 'gpu-box');
    assert.doesNotMatch(text, /berth [a-z]/);
    assert.match(text, /^Message +the container ran out of memory \(limit 512 MiB\)$/m);
    assert.match(text, /^Environment +TOKEN$/m);
    assert.doesNotMatch(text, /sekrit/);
  });

  it('says when no history is recorded (an older agent)', () => {
    assert.match(detailsText(workspace('old'), 'h'), /^History: none recorded yet$/m);
  });
});
