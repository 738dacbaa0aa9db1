import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { workspaceContext } from '../../../extension/tree/model';
import type { Workspace } from '../../../protocol';
import { workspace } from '../../support/builders';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  contributes: { menus: Record<string, { command: string; when?: string }[]> };
};
const BUILD = { context: '/src/proj', dockerfile: 'Dockerfile', args: {}, hash: 'b'.repeat(64) };

/** The commands the item context menu offers for a row of `contextValue`, as its `viewItem =~ /…/` clauses match. */
function offered(contextValue: string): Set<string> {
  return new Set(
    (manifest.contributes.menus['view/item/context'] ?? [])
      .filter((item) => {
        const pattern = /viewItem =~ \/(.+?)\/(?:\s|$)/.exec(item.when ?? '')?.[1];
        return pattern !== undefined && new RegExp(pattern).test(contextValue);
      })
      .map((item) => item.command),
  );
}
const offeredOn = (ws: Workspace, own = true) => offered(workspaceContext(ws, own));

describe('manifest: Create from devcontainer.json and Rebuild in the tree’s menus', () => {
  it('tags a workspace built from a folder with build, before own and queued', () => {
    assert.equal(workspaceContext(workspace('web', {}, { build: BUILD }), true), 'workspace+running+build+own');
    assert.equal(
      workspaceContext(
        workspace('t', { state: 'creating', gpuQueue: { position: 1, gpus: 1 } }, { gpus: 1, build: BUILD }),
        true,
      ),
      'workspace+creating+gpu+build+own+queued',
    );
    assert.equal(workspaceContext(workspace('web'), true), 'workspace+running+own');
  });

  it('offers Rebuild on one’s own built workspace that is running, stopped or failed', () => {
    for (const state of ['running', 'stopped', 'failed'] as const) {
      assert.ok(offeredOn(workspace('web', { state }, { build: BUILD })).has('berth.workspace.rebuild'), state);
      assert.ok(
        offeredOn(workspace('web', { state }, { build: BUILD, gpus: 2 })).has('berth.workspace.rebuild'),
        state,
      );
    }
  });

  it('offers no Rebuild on a workspace of a named image, another user’s, a busy or an archived one', () => {
    assert.ok(!offeredOn(workspace('web')).has('berth.workspace.rebuild'), 'named image');
    assert.ok(!offeredOn(workspace('web', {}, { build: BUILD }), false).has('berth.workspace.rebuild'), 'theirs');
    for (const state of ['creating', 'starting', 'stopping'] as const) {
      assert.ok(!offeredOn(workspace('web', { state }, { build: BUILD })).has('berth.workspace.rebuild'), state);
    }
    const archived = workspace('web', { state: 'stopped', archivedAt: '2024-05-02T10:00:00.000Z' }, { build: BUILD });
    assert.ok(!offeredOn(archived).has('berth.workspace.rebuild'), 'archived');
  });

  it('keeps the other menus of a built workspace as they are for any workspace', () => {
    const built = offeredOn(workspace('web', {}, { build: BUILD }));
    const plain = offeredOn(workspace('web'));
    assert.deepEqual([...built].filter((c) => c !== 'berth.workspace.rebuild').sort(), [...plain].sort());
  });

  it('offers Create from devcontainer.json on a connected host only', () => {
    assert.ok(offered('host+connected').has('berth.workspace.createFromDevcontainer'));
    for (const value of ['host+error', 'host+connecting', 'workspace+running+own']) {
      assert.ok(!offered(value).has('berth.workspace.createFromDevcontainer'), value);
    }
  });
});
