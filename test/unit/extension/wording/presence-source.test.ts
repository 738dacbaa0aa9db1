import * as assert from 'node:assert/strict';
import { activityText } from '../../../../cli/workspace-view';
import { idleLines, localTime } from '../../../../extension/wording/describe';
import { workspace } from '../../../support/builders';

describe('presence source in the tooltip and berth ls (issue #16)', () => {
  const now = Date.parse('2024-05-01T11:42:10.000Z');
  const typed = workspace('web', {
    lastActivity: { at: '2024-05-01T11:40:10.000Z', signal: 'present', source: 'ssh terminal' },
  });

  it('names where the presence came from', () => {
    assert.ok(
      idleLines(typed, now).includes(
        `Last activity: present (ssh terminal), ${localTime('2024-05-01T11:40:10.000Z')}.`,
      ),
    );
    assert.match(activityText(typed), /^present \(ssh terminal\) \d{4}-\d\d-\d\d \d\d:\d\d \S+$/);
  });

  it('says nothing more for an activity without a source', () => {
    const ws = workspace('web', { lastActivity: { at: '2024-05-01T11:40:10.000Z', signal: 'busy' } });
    assert.ok(idleLines(ws, now).includes(`Last activity: busy, ${localTime('2024-05-01T11:40:10.000Z')}.`));
    assert.match(activityText(ws), /^busy \d{4}-\d\d-\d\d \d\d:\d\d \S+$/);
  });
});
