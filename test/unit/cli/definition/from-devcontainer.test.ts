import * as assert from 'node:assert/strict';
import { parseJsonc } from '../../../../client/devcontainer/jsonc';
import { translate } from '../../../../client/devcontainer/translate';
import { workspaceFileOf } from '../../../../cli/definition/from-devcontainer';
import { specOf } from '../../../../cli/definition/schema';
import { parseWorkspaceFile } from '../../../../cli/definition/yaml-file';

const FILE = '/src/proj/.devcontainer/devcontainer.json';
const located = { file: FILE, workspaceFolder: '/src/proj' };

/** The definition of `text` as berth init reads it, for a workspace named web. */
const definition = (text: string) => ({
  ...translate(parseJsonc(text, FILE), { name: 'web', located, env: {} }),
  located,
});

describe('cli: berth init --from-devcontainer', () => {
  it('writes the workspace.yaml whose spec is the translation’s: image, resources, env, user, ports, volumes', () => {
    const derived = definition(`{
      "image": "berth-workspace:latest",
      "containerEnv": { "A": "1" },
      "remoteUser": "alice",
      "hostRequirements": { "cpus": 2, "memory": "4gb" },
      "forwardPorts": [8888, "db:5432"],
      "portsAttributes": { "8888": { "label": "jupyter" } },
      "mounts": ["source=data,target=/data,type=volume", "source=/srv/sets,target=/sets,type=bind,readonly"]
    }`);
    const { text, notCarried } = workspaceFileOf('web', derived, '/src/proj/workspace.yaml');
    assert.deepEqual(notCarried, []);
    const spec = specOf(parseWorkspaceFile(text, 'workspace.yaml'));
    const translated: Record<string, unknown> = { ...derived.spec };
    delete translated.devcontainer; // where it came from: the yaml is the definition now
    assert.deepEqual(spec, { name: 'web', ...translated });
    assert.match(text, /^# A Berth workspace derived from \/src\/proj\/\.devcontainer\/devcontainer\.json/);
  });

  it('makes a build: with its folder relative to the file, and lists what the format cannot hold', () => {
    const derived = definition(`{
      "build": { "dockerfile": "Dockerfile.dev", "context": "..", "args": { "PY": "3.12" } },
      "postCreateCommand": "make",
      "hostRequirements": { "gpu": "optional" }
    }`);
    const { text, notCarried } = workspaceFileOf('web', derived, '/src/proj/workspace.yaml');
    const doc = parseWorkspaceFile(text, 'workspace.yaml');
    assert.deepEqual(doc.build, { context: '.', dockerfile: '.devcontainer/Dockerfile.dev', args: { PY: '3.12' } });
    assert.equal(notCarried.length, 2);
    assert.match(notCarried[0] ?? '', /^postCreateCommand: not carried: .*--devcontainer/);
    assert.match(notCarried[1] ?? '', /^hostRequirements.gpu "optional": not carried \(the GPUs become required\)/);
    assert.match(text, /\n# postCreateCommand: not carried/);
  });
});
