import * as assert from 'node:assert/strict';
import type { HostConfig, HostStatus } from '../../../../extension/hosts/host';
import { hostChildren, hostNode } from '../../../../extension/tree/model';
import { refreshTargets, type HostRender } from '../../../../extension/tree/refresh';
import type { Workspace } from '../../../../protocol';
import { idOf, workspace } from '../../../support/builders';

const LAB: HostConfig = { id: 'lab', label: 'Lab', url: 'ws://lab.example.org:7447' };
const GPU: HostConfig = { id: 'gpu', label: 'GPU box', url: 'ws://gpu.example.org:7447' };
const CONNECTED: HostStatus = {
  kind: 'connected',
  welcome: { protocol: 1, agentVersion: '0.1.0', host: 'lab-1', user: { name: 'alice', admin: false } },
};
const NOW = Date.parse('2024-05-01T12:00:00.000Z');

/** A host as the tree renders it, with these workspaces. */
function host(config: HostConfig, workspaces: Workspace[], status: HostStatus = CONNECTED): HostRender {
  return { node: hostNode(config, status, NOW), children: hostChildren(config, status, workspaces) };
}

describe('tree: which rows a change redraws', () => {
  const web = workspace('web');
  const api = workspace('api');

  it('redraws only the row of the one workspace whose tooltip changed (a keepalive on it)', () => {
    const before = [host(LAB, [api, web]), host(GPU, [workspace('train')])];
    const after = [
      host(LAB, [api, workspace('web', { keepUntil: new Date(Date.now() + 3_600_000).toISOString() })]),
      host(GPU, [workspace('train')]),
    ];
    assert.deepEqual(refreshTargets(before, after), [`workspace:lab:${idOf('web')}`]);
  });

  it('redraws the row of a workspace whose state, and with it description, icon and menu tags, changed', () => {
    const after = [host(LAB, [api, workspace('web', { state: 'stopping' })])];
    assert.deepEqual(refreshTargets([host(LAB, [api, web])], after), [`workspace:lab:${idOf('web')}`]);
  });

  it('redraws nothing when a change draws nothing new (the same data, or a field no row shows)', () => {
    const before = [host(LAB, [api, web])];
    assert.deepEqual(refreshTargets(before, [host(LAB, [api, web])]), []);
    const rekeyed = workspace('web', { ssh: { ...web.ssh, hostKey: 'ssh-ed25519 BBBB' } });
    assert.deepEqual(refreshTargets(before, [host(LAB, [api, rekeyed])]), []);
  });

  it('redraws each changed row of a burst, on every host', () => {
    const before = [host(LAB, [api, web]), host(GPU, [workspace('train')])];
    const after = [
      host(LAB, [workspace('api', { state: 'stopped' }), workspace('web', { state: 'stopped' })]),
      host(GPU, [workspace('train', { message: 'pulling the image' })]),
    ];
    assert.deepEqual(refreshTargets(before, after), [
      `workspace:lab:${idOf('api')}`,
      `workspace:lab:${idOf('web')}`,
      `workspace:gpu:${idOf('train')}`,
    ]);
  });

  it('redraws the host, not the tree, when a workspace is added to it or removed from it', () => {
    const before = [host(LAB, [web]), host(GPU, [])];
    assert.deepEqual(refreshTargets(before, [host(LAB, [api, web]), host(GPU, [])]), ['host:lab']);
    assert.deepEqual(refreshTargets(before, [host(LAB, []), host(GPU, [])]), ['host:lab'], 'the hint replaces web');
  });

  it('redraws the host when a rename reorders its workspaces', () => {
    const after = [host(LAB, [workspace('web', { name: 'aardvark' }), api])];
    assert.deepEqual(refreshTargets([host(LAB, [api, web])], after), ['host:lab']);
  });

  it('redraws the host when its connection status changes', () => {
    const lost: HostStatus = { kind: 'error', message: 'connection lost', retryAt: NOW + 1_000 };
    const before = [host(LAB, [web]), host(GPU, [])];
    assert.deepEqual(refreshTargets(before, [host(LAB, [web], lost), host(GPU, [])]), ['host:lab']);
  });

  it('redraws the whole tree when a host is added or removed', () => {
    const one = [host(LAB, [web])];
    const two = [host(LAB, [web]), host(GPU, [])];
    assert.equal(refreshTargets(one, two), 'all');
    assert.equal(refreshTargets(two, one), 'all');
    assert.equal(refreshTargets([], one), 'all', 'the first render');
  });
});
