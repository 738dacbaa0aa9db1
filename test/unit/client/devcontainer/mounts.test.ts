import * as assert from 'node:assert/strict';
import { parseJsonc } from '../../../../client/devcontainer/jsonc';
import { translate, type Translation } from '../../../../client/devcontainer/translate';

const FILE = '/src/proj/.devcontainer/devcontainer.json';
const located = { file: FILE, workspaceFolder: '/src/proj' };

/** The translation of a definition whose `mounts` is `mounts` (JSON text), for a workspace named web. */
function of(mounts: string): Translation {
  return translate(parseJsonc(`{\n  "image": "x",\n  "mounts": ${mounts}\n}`, FILE), {
    name: 'web',
    located,
    env: { CACHE: 'pip' },
  });
}

describe('client: devcontainer.json mounts as the spec’s volumes', () => {
  it('takes the string and the object form, volumes and binds, with readonly and variables', () => {
    const t = of(`[
      "source=data,target=/data,type=volume",
      "src=\${localEnv:CACHE}-cache,dst=/var/cache/pip,type=volume,readonly,consistency=cached",
      "source=/srv/datasets,target=/datasets,type=bind,ro=true",
      { "source": "models", "target": "/models", "type": "volume" },
      { "source": "/srv/x", "target": "/x", "type": "bind" }
    ]`);
    assert.deepEqual(t.refusals, []);
    assert.deepEqual(t.spec.volumes, [
      { name: 'data', target: '/data' },
      { name: 'pip-cache', target: '/var/cache/pip', readOnly: true },
      { bind: '/srv/datasets', target: '/datasets', readOnly: true },
      { name: 'models', target: '/models' },
      { bind: '/srv/x', target: '/x' },
    ]);
  });

  it('names the ${devcontainerId} volume per workspace and definition, as the spec does', () => {
    const t = of('["source=${devcontainerId}-history,target=/commandhistory,type=volume"]');
    assert.deepEqual(t.refusals, []);
    assert.match(t.spec.volumes?.[0]?.name ?? '', /^[0-9a-v]{52}-history$/);
  });

  const refused: [string, RegExp][] = [
    [
      '["source=${localWorkspaceFolder}/data,target=/data,type=bind"]',
      /localWorkspaceFolder\} is the folder on your machine, which is not on the host/,
    ],
    ['[{ "source": "${localWorkspaceFolder}", "target": "/w", "type": "bind" }]', /folder on your machine/],
    ['["type=tmpfs,target=/tmp/x"]', /type=tmpfs: not supported: Berth mounts named volumes/],
    ['["target=/data,type=volume"]', /no source: an anonymous volume would be lost at every rebuild/],
    ['["source=data,type=volume"]', /has no target/],
    ['["source=data,target=/etc,type=volume"]', /target \/etc must not cover, lie in or lie above \/etc/],
    ['["source=data,target=relative,type=volume"]', /must be an absolute path/],
    ['["source=../x,target=/data,type=volume"]', /source \.\.\/x must be 1–100 letters/],
    ['["source=rel/path,target=/data,type=bind"]', /a bind needs an absolute path on the host/],
    ['["source=data,target=/data,type=volume,volume-driver=nfs"]', /"volume-driver" is not supported/],
    ['["source=data,target=/data,readonly=maybe"]', /readonly=maybe: expected true or false/],
    [
      '[{ "source": "data", "target": "/data", "driver": "x" }]',
      /"driver" is not supported \(the object form has type, source and target\)/,
    ],
    ['[42]', /must be a "source=…,target=…,type=volume" string or a \{ source, target, type \} object/],
    ['"source=data,target=/data"', /mounts must be a list/],
  ];
  for (const [mounts, why] of refused) {
    it(`refuses ${mounts}, saying why and where`, () => {
      const t = of(mounts);
      assert.equal(t.refusals.length, 1, t.refusals.join('\n'));
      assert.match(t.refusals[0] ?? '', new RegExp(`^${FILE}:3:\\d+: mounts`));
      assert.match(t.refusals[0] ?? '', why);
      assert.equal(t.spec.volumes, undefined);
    });
  }
});
