import * as assert from 'node:assert/strict';
import {
  devcontainerId,
  substitute,
  VariableProblem,
  type VariableContext,
} from '../../../../client/devcontainer/variables';

const ctx: VariableContext = {
  localWorkspaceFolder: '/src/proj',
  containerWorkspaceFolder: '/home/dev',
  devcontainerId: 'id52',
  env: { HOME: '/home/alice', EMPTY: '' },
};

describe('client: devcontainer.json variables', () => {
  const cases: [string, string][] = [
    ['${localWorkspaceFolder}/x', '/src/proj/x'],
    ['${localWorkspaceFolderBasename}', 'proj'],
    ['${containerWorkspaceFolder}', '/home/dev'],
    ['${containerWorkspaceFolderBasename}', 'dev'],
    ['${devcontainerId}', 'id52'],
    ['${localEnv:HOME}', '/home/alice'],
    ['${env:HOME}', '/home/alice'],
    ['${localEnv:NOPE}', ''],
    ['${localEnv:NOPE:fallback}', 'fallback'],
    ['${localEnv:NOPE:a:b}', 'a:b'],
    ['${localEnv:EMPTY:fallback}', ''],
    ['no variables $HOME', 'no variables $HOME'],
  ];
  for (const [text, expected] of cases) {
    it(`resolves ${text}`, () => assert.equal(substitute(text, ctx, 'refuse'), expected));
  }

  it('leaves ${containerEnv:X} to the shell inside where one runs the command', () => {
    assert.equal(substitute('echo ${containerEnv:PATH}', ctx, 'shell'), 'echo ${PATH}');
    assert.equal(substitute('${containerEnv:X:def}', ctx, 'shell'), '${X:-def}');
  });

  it('refuses ${containerEnv:X} where no shell in the container would expand it', () => {
    assert.throws(() => substitute('${containerEnv:PATH}:/x', ctx, 'refuse'), VariableProblem);
  });

  it('refuses a containerEnv name a shell would read as code', () => {
    assert.throws(() => substitute('${containerEnv:$(id)}', ctx, 'shell'), /is not a variable name/);
  });

  it('refuses an unknown variable rather than leaving it in', () => {
    assert.throws(() => substitute('${workspaceRoot}', ctx, 'refuse'), /is not a variable Berth knows/);
  });

  it('makes a devcontainerId that is stable and tells definitions apart', () => {
    const id = devcontainerId('web', '/p/.devcontainer/devcontainer.json');
    assert.match(id, /^[0-9a-v]{52}$/);
    assert.equal(devcontainerId('web', '/p/.devcontainer/devcontainer.json'), id);
    assert.notEqual(devcontainerId('api', '/p/.devcontainer/devcontainer.json'), id);
  });
});
