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

/** The commands the item context menu offers for a workspace, as its `viewItem =~ /…/` clauses match. */
function offered(ws: Workspace, own = true): Set<string> {
  const value = workspaceContext(ws, own);
  return new Set(
    (manifest.contributes.menus['view/item/context'] ?? [])
      .filter((item) => {
        const pattern = /viewItem =~ \/(.+?)\/(?:\s|$)/.exec(item.when ?? '')?.[1];
        return pattern !== undefined && new RegExp(pattern).test(value);
      })
      .map((item) => item.command),
  );
}

describe('manifest: lifecycle menus against the tree’s context values', () => {
  const queued = (state: 'creating' | 'starting') =>
    workspace('train', { state, gpuQueue: { position: 1, gpus: 4 } }, { gpus: 4 });

  it('tags a workspace waiting for GPUs as queued', () => {
    assert.equal(workspaceContext(queued('creating'), true), 'workspace+creating+gpu+own+queued');
    assert.equal(workspaceContext(queued('creating'), false), 'workspace+creating+gpu+queued');
  });

  it('offers Cancel and Delete on a queued create or start, and not Stop', () => {
    for (const state of ['creating', 'starting'] as const) {
      const commands = offered(queued(state));
      assert.ok(commands.has('berth.workspace.cancel'), `${state}: cancel`);
      assert.ok(commands.has('berth.workspace.delete'), `${state}: delete`);
      assert.ok(!commands.has('berth.workspace.stop'), `${state}: no stop beside cancel`);
      // An admin's row of another user's queued workspace offers the same: they may cancel it too.
      const theirs = offered(queued(state), false);
      assert.ok(theirs.has('berth.workspace.cancel') && theirs.has('berth.workspace.delete'), `${state}: admin`);
    }
  });

  it('offers neither Cancel nor Delete on a create that is not queued', () => {
    const commands = offered(workspace('web', { state: 'creating' }, { gpus: 4 }));
    assert.ok(!commands.has('berth.workspace.cancel') && !commands.has('berth.workspace.delete'));
  });

  it('offers Restart on a running workspace, and Change Image or Resources on running, stopped and failed ones', () => {
    assert.ok(offered(workspace('web', { state: 'running' })).has('berth.workspace.restart'));
    assert.ok(!offered(workspace('web', { state: 'stopped' })).has('berth.workspace.restart'));
    for (const state of ['running', 'stopped', 'failed'] as const) {
      assert.ok(offered(workspace('web', { state })).has('berth.workspace.update'), state);
    }
    assert.ok(!offered(workspace('web', { state: 'creating' })).has('berth.workspace.update'));
  });
});
