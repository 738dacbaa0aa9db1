import * as assert from 'node:assert/strict';
import type { HostConfig, HostStatus } from '../../../../extension/hosts/host';
import { hostsTooltip, tallyHosts } from '../../../../extension/status/tally';
import type { Workspace } from '../../../../protocol';
import { workspace } from '../../../support/builders';

const connected: HostStatus = {
  kind: 'connected',
  welcome: { protocol: 1, agentVersion: '1', host: 'box', user: { name: 'alice', admin: true } },
};
const entry = (label: string, status: HostStatus, list: Workspace[]) => ({
  host: { id: label.toLowerCase(), label, url: 'ws://127.0.0.1:7420' } as HostConfig,
  status,
  workspaces: new Map(list.map((ws) => [ws.id, ws])),
});

describe('status bar: hosts and running workspaces', () => {
  const hosts = [
    entry('Lab', connected, [
      workspace('web', { state: 'running' }),
      workspace('db', { state: 'stopped' }),
      workspace('train', { state: 'running', owner: 'bob' }),
    ]),
    entry('Cloud', { kind: 'error', message: 'connection refused' }, [workspace('old', { state: 'running' })]),
  ];

  it("counts the connected hosts and the user's own running workspaces on them", () => {
    assert.deepEqual(tallyHosts(hosts), { hosts: 2, connected: 1, running: 1 });
  });

  it('lists each host in the tooltip, and what a click does', () => {
    assert.equal(
      hostsTooltip(hosts),
      'Lab: 1 running\nCloud: not connected (connection refused)\nClick to open the Berth view',
    );
    assert.equal(hostsTooltip([]), 'No Berth host yet\nClick to open the Berth view');
  });
});
