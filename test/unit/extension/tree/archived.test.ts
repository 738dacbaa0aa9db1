import * as assert from 'node:assert/strict';
import type { HostConfig, HostStatus } from '../../../../extension/hosts/host';
import { descendants, hostChildren, workspaceNode } from '../../../../extension/tree/model';
import { trashItem } from '../../../../extension/wording/trash';
import { idOf, workspace } from '../../../support/builders';

// Issue 14, "In VS Code": archived workspaces sit in a collapsed "Archived" group per host, with
// Unarchive (and no Start) on their rows.

const HOST: HostConfig = { id: 'lab', label: 'lab', url: 'ws://127.0.0.1:7420' };
const welcome = (admin: boolean) => ({
  protocol: 1,
  agentVersion: '0.1.0',
  host: 'lab-1',
  user: { name: 'alice', admin },
});
const CONNECTED: HostStatus = { kind: 'connected', welcome: welcome(false) };
const ADMIN: HostStatus = { kind: 'connected', welcome: welcome(true) };
const archived = (name: string, owner = 'alice') => ({
  ...workspace(name, { state: 'stopped', owner, archivedAt: '2026-12-01T10:00:00.000Z' }),
  id: idOf(`${owner}-${name}`),
});

describe('tree: archived workspaces', () => {
  it('puts them in a collapsed "Archived" group after the others', () => {
    const children = hostChildren(HOST, CONNECTED, [workspace('web'), archived('old'), archived('older')]);
    assert.deepEqual(
      children.map((node) => [node.kind, node.label]),
      [
        ['workspace', 'web'],
        ['group', 'Archived'],
      ],
    );
    const group = children[1];
    assert.ok(group?.kind === 'group');
    assert.equal(group.expanded, false);
    assert.equal(group.description, '2');
    assert.equal(group.id, 'group:lab:archived');
    assert.deepEqual(
      group.children.map((node) => node.label),
      ['old', 'older'],
    );
  });

  it('shows only the group when every workspace is archived, not the "create one" hint', () => {
    const children = hostChildren(HOST, CONNECTED, [archived('old')]);
    assert.deepEqual(
      children.map((node) => node.label),
      ['Archived'],
    );
  });

  it('keeps the group beside an admin\'s "My Workspaces" and "All Workspaces", every id its own', () => {
    const list = [
      workspace('web'),
      { ...workspace('api', { owner: 'bob' }), id: idOf('bob-api') },
      archived('old', 'bob'),
    ];
    const children = hostChildren(HOST, ADMIN, list);
    assert.deepEqual(
      children.map((node) => node.label),
      ['My Workspaces', 'All Workspaces', 'Archived'],
    );
    const ids = descendants(children).map((node) => node.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(!descendants(children.slice(0, 2)).some((node) => node.label === 'bob/old'), 'not under the others');
  });

  it('tags the row archived (Unarchive, no Start), with the archive icon and state', () => {
    const node = workspaceNode(HOST, archived('old'));
    assert.equal(node.contextValue, 'workspace+archived+own');
    assert.deepEqual(node.icon, { id: 'archive' });
    assert.match(node.description, /^archived · /);
    assert.match(node.tooltip, /^\*\*old\*\* — archived since /);
    assert.equal(node.command, undefined);
  });

  it('describes a trashed home in the quick pick by name, image, size and its last day', () => {
    const item = trashItem({
      id: idOf('x'),
      volume: `berth-${idOf('x')}-home`,
      owner: 'alice',
      name: 'web',
      image: 'berth-workspace:latest',
      deletedAt: '2026-12-01T10:00:00.000Z',
      expiresAt: '2026-12-08T10:00:00.000Z',
      bytes: 3 * 1024 ** 2,
    });
    assert.equal(item.label, 'web');
    assert.match(item.description, /^berth-workspace:latest · 3(\.0)? MiB$/);
    assert.match(item.detail, /^Deleted .*; deleted for good /);
  });
});
