import * as assert from 'node:assert/strict';
import { workspaceTooltip } from '../../../../extension/tree/tooltip';
import { devcontainerRows } from '../../../../extension/wording/devcontainer';
import { workspace } from '../../../support/builders';

describe('extension: the tooltip rows of a workspace made from a devcontainer.json', () => {
  const ws = workspace(
    'web',
    {},
    {
      devcontainer: '/src/proj/.devcontainer/devcontainer.json',
      forwardPorts: [
        { port: 8888, label: 'notebook' },
        { port: 5432, host: 'db' },
      ],
    },
  );

  it('names the definition and the ports it forwards, saying they are not forwarded yet', () => {
    assert.deepEqual(
      devcontainerRows(ws, (text) => text),
      [
        ['Definition', '`/src/proj/.devcontainer/devcontainer.json`'],
        ['Ports', '8888 (notebook), db:5432 (not forwarded yet)'],
      ],
    );
    const tooltip = workspaceTooltip(ws, 'Lab');
    assert.match(tooltip, /\| Definition \| `\/src\/proj\/\.devcontainer\/devcontainer\.json` \|/);
    assert.match(tooltip, /\| Ports \| 8888 \\\(notebook\\\), db\\:5432 \(not forwarded yet\) \|/);
  });

  it('adds nothing for a workspace made otherwise', () => {
    assert.deepEqual(
      devcontainerRows(workspace('plain'), (text) => text),
      [],
    );
    assert.doesNotMatch(workspaceTooltip(workspace('plain'), 'Lab'), /Definition|Ports/);
  });

  it('keeps a backtick in the path from breaking out of the code span', () => {
    const odd = workspace('odd', {}, { devcontainer: '/a`b/devcontainer.json' });
    assert.deepEqual(
      devcontainerRows(odd, (text) => text),
      [['Definition', "`/a'b/devcontainer.json`"]],
    );
  });
});
