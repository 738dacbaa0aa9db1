import * as assert from 'node:assert/strict';
import { workspaceTooltip } from '../../../../extension/tree/tooltip';
import { BUILT_FROM, buildRows } from '../../../../extension/wording/devcontainer';
import { workspace } from '../../../support/builders';

const HASH = 'a'.repeat(64);

describe('extension: the tooltip row of a workspace built on the host', () => {
  it('says which folder of this machine its image was built from', () => {
    const ws = workspace(
      'web',
      {},
      { build: { context: '/src/proj', dockerfile: 'Dockerfile', args: {}, hash: HASH } },
    );
    assert.deepEqual(buildRows(ws), [[BUILT_FROM, '`/src/proj`']]);
    assert.match(workspaceTooltip(ws, 'Lab'), /\| Built\u00a0from \| `\/src\/proj` \|/);
  });

  it('names a Dockerfile other than the folder’s own, and the target stage', () => {
    const ws = workspace(
      'web',
      {},
      { build: { context: '/src/proj', dockerfile: '.devcontainer/Dockerfile', args: {}, target: 'dev', hash: HASH } },
    );
    assert.deepEqual(buildRows(ws), [[BUILT_FROM, '`/src/proj` (`.devcontainer/Dockerfile`, stage `dev`)']]);
  });

  it('shows the definition and the build folder of a workspace made from a devcontainer.json with a build', () => {
    const ws = workspace(
      'web',
      {},
      {
        devcontainer: '/src/proj/.devcontainer/devcontainer.json',
        build: { context: '/src/proj/.devcontainer', dockerfile: 'Dockerfile', args: {}, hash: HASH },
      },
    );
    const tooltip = workspaceTooltip(ws, 'Lab');
    assert.match(tooltip, /\| Definition \| `\/src\/proj\/\.devcontainer\/devcontainer\.json` \|/);
    assert.match(tooltip, /\| Built\u00a0from \| `\/src\/proj\/\.devcontainer` \|/);
  });

  it('adds nothing for a workspace of a named image, and keeps a pipe or backtick inside the cell', () => {
    assert.deepEqual(buildRows(workspace('plain')), []);
    assert.doesNotMatch(workspaceTooltip(workspace('plain'), 'Lab'), /Built\sfrom/);
    const odd = workspace('odd', {}, { build: { context: '/a`b|c', dockerfile: 'Dockerfile', args: {}, hash: HASH } });
    assert.deepEqual(buildRows(odd), [[BUILT_FROM, "`/a'b\\|c`"]]);
  });
});
