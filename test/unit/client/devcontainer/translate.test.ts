import * as assert from 'node:assert/strict';
import { WorkspaceSpecInput } from '../../../../protocol';
import { parseJsonc } from '../../../../client/devcontainer/jsonc';
import { translate, type Translation } from '../../../../client/devcontainer/translate';

const FILE = '/src/proj/.devcontainer/devcontainer.json';
const located = { file: FILE, workspaceFolder: '/src/proj' };

/** The translation of `text` for a workspace named web, with HOME=/home/alice here. */
function of(text: string): Translation {
  return translate(parseJsonc(text, FILE), { name: 'web', located, env: { HOME: '/home/alice' } });
}

describe('client: devcontainer.json translated into a create request', () => {
  it('maps image, env, user, resources, ports and commands to the spec the agent accepts', () => {
    const t = of(`{
      "image": "berth-workspace:latest",
      "containerEnv": { "A": "1", "B": "\${localWorkspaceFolderBasename}" },
      "remoteEnv": { "B": "2", "A": null, "C": "\${localEnv:HOME}" },
      "remoteUser": "alice",
      "hostRequirements": { "cpus": 2, "memory": "1gb" },
      "forwardPorts": [3000, "db:5432"],
      "portsAttributes": { "3000": { "label": "web", "protocol": "http" }, "5000-6000": { "label": "db" } },
      "postCreateCommand": "echo \${containerEnv:HOME} > made",
      "postStartCommand": ["touch", "\${containerWorkspaceFolder}/started"],
      "postAttachCommand": { "a": "true", "b": ["true"] },
      "waitFor": "postCreateCommand",
    }`);
    assert.deepEqual(t.refusals, []);
    assert.deepEqual(t.warnings, []);
    assert.deepEqual(t.spec, {
      devcontainer: FILE,
      user: 'alice',
      env: { B: '2', C: '/home/alice' },
      image: 'berth-workspace:latest',
      cpus: 2,
      memory: 1024 ** 3,
      forwardPorts: [
        { port: 3000, label: 'web', protocol: 'http' },
        { host: 'db', port: 5432, label: 'db' },
      ],
      lifecycle: {
        postCreateCommand: 'echo ${HOME} > made',
        postStartCommand: ['touch', '/home/alice/started'],
        postAttachCommand: { a: 'true', b: ['true'] },
        waitFor: 'postCreateCommand',
      },
    });
    assert.ok(WorkspaceSpecInput.safeParse({ name: 'web', ...t.spec }).success);
  });

  it('takes containerUser when there is no remoteUser', () => {
    assert.equal(of('{"image": "x", "containerUser": "bob"}').spec.user, 'bob');
  });

  it('warns that containerUser is not used when it differs from remoteUser', () => {
    const t = of('{"image": "x", "remoteUser": "alice",\n "containerUser": "bob"}');
    assert.equal(t.spec.user, 'alice');
    assert.match(t.warnings.join('\n'), /devcontainer\.json:2:2: containerUser: ignored/);
  });

  for (const key of ['remoteUser', 'containerUser']) {
    it(`refuses ${key} root, as Berth does`, () => {
      const t = of(`{"image": "x", "${key}": "root"}`);
      assert.match(
        t.refusals.join('\n'),
        new RegExp(`:1:16: ${key}: refused: "root": workspaces log in as an unprivileged user`),
      );
    });
  }

  const refused: [string, string, RegExp][] = [
    ['initializeCommand', '"make"', /runs on the host before the container exists/],
    ['privileged', 'true', /root on the shared host/],
    ['runArgs', '["--network=host"]', /raw docker run flags bypass the limits/],
    ['capAdd', '["SYS_PTRACE"]', /extra capabilities weaken the isolation/],
    ['appPort', '[8080]', /publishes ports on the host's network/],
    ['securityOpt', '["seccomp=unconfined"]', /weaken the isolation/],
    ['dockerComposeFile', '"compose.yml"', /Docker Compose definitions are not supported/],
  ];
  for (const [key, value, reason] of refused) {
    it(`refuses ${key}, saying why and where`, () => {
      const t = of(`{\n  "image": "x",\n  "${key}": ${value}\n}`);
      assert.equal(t.refusals.length, 1, t.refusals.join('\n'));
      assert.ok(t.refusals[0]?.startsWith(`${FILE}:3:3: ${key}: refused: `), t.refusals[0]);
      assert.match(t.refusals[0] ?? '', reason);
    });
  }

  it('installs features on the image (which becomes their base), Docker-in-Docker as docker: true', () => {
    const t = of(`{
      "image": "berth-workspace:latest",
      "remoteUser": "alice",
      "features": {
        "./hello": { "greeting": "\${localEnv:HOME}", "loud": true },
        "ghcr.io/devcontainers/features/node:1": "18",
        "ghcr.io/devcontainers/features/docker-in-docker:2": {}
      },
      "overrideFeatureInstallOrder": ["ghcr.io/devcontainers/features/node"]
    }`);
    assert.deepEqual([t.refusals, t.warnings], [[], []]);
    assert.equal(t.spec.image, undefined);
    assert.equal(t.spec.docker, true);
    assert.deepEqual(t.build, {
      contextDir: '/src/proj/.devcontainer',
      features: {
        definitionDir: '/src/proj/.devcontainer',
        features: [
          { key: './hello', options: { greeting: '/home/alice', loud: true } },
          { key: 'ghcr.io/devcontainers/features/node:1', options: { version: '18' } },
        ],
        installOrder: ['ghcr.io/devcontainers/features/node'],
        user: 'alice',
        baseImage: 'berth-workspace:latest',
      },
    });
  });

  it('installs features on top of the build, and refuses features without an image, or bad options', () => {
    const built = of('{"build": {"dockerfile": "Dockerfile"}, "features": {"./x": {}}}');
    assert.equal(built.build?.features?.baseImage, undefined);
    assert.equal(built.build?.dockerfile, 'Dockerfile');
    assert.match(of('{"features": {"./x": {}}}').refusals.join(), /features: refused: they install on an image/);
    assert.match(
      of('{"image": "x", "features": {"./x": 3}}').refusals.join(),
      /features\."\.\/x": must be an object of options/,
    );
    assert.match(
      of('{"image": "x", "features": {"./x": {}}, "overrideFeatureInstallOrder": "./x"}').refusals.join(),
      /overrideFeatureInstallOrder must be a list/,
    );
  });

  it('lets empty features and mounts, and privileged false, through', () => {
    const t = of('{"image": "x", "features": {}, "mounts": [], "privileged": false}');
    assert.deepEqual([t.refusals, t.warnings], [[], []]);
  });

  it('lists every property it leaves aside, known or unknown, one warning each', () => {
    const t = of(
      '{"image": "x", "name": "Dev", "customizations": {"vscode": {}}, "shutdownAction": "none",\n"frobnicate": 1, "$schema": "s"}',
    );
    assert.deepEqual(
      t.warnings.map((line) => line.replace(`${FILE}:`, '')),
      [
        '1:16: name: ignored: the workspace takes the name it is created with',
        '1:31: customizations: ignored: editor settings and extensions are not applied yet',
        "1:65: shutdownAction: ignored: Berth's idle policy decides when a workspace stops",
        '2:1: frobnicate: unknown property, ignored',
      ],
    );
  });

  it('translates hostRequirements.gpu true, "optional" and an object', () => {
    assert.deepEqual(of('{"hostRequirements": {"gpu": true}}').spec.gpus, 1);
    const optional = of('{"hostRequirements": {"gpu": "optional"}}').spec;
    assert.deepEqual([optional.gpus, optional.gpusOptional], [1, true]);
    const detailed = of('{"hostRequirements": {"gpu": {"cores": 1000, "memory": "16gb"}}}');
    assert.deepEqual([detailed.spec.gpus, detailed.spec.gpuMemory], [1, 16 * 1024 ** 3]);
    assert.match(detailed.warnings.join(), /hostRequirements\.gpu\.cores: ignored/);
    assert.equal(of('{"hostRequirements": {"gpu": false}}').spec.gpus, undefined);
  });

  it('refuses requirements it cannot read', () => {
    const t = of('{"hostRequirements": {"cpus": "many", "memory": "lots", "gpu": 2}}');
    assert.equal(t.refusals.length, 3, t.refusals.join('\n'));
  });

  it("translates build into a build request, paths from the definition's folder", () => {
    const t = of(
      '{"build": {"dockerfile": "Dockerfile", "context": "..", "args": {"V": "${localEnv:HOME}"}, "target": "dev"}}',
    );
    assert.deepEqual(t.build, {
      contextDir: '/src/proj',
      dockerfile: '.devcontainer/Dockerfile',
      args: { V: '/home/alice' },
      target: 'dev',
    });
    assert.equal(t.spec.image, undefined);
  });

  it('reads the older top-level dockerFile and context as a build', () => {
    assert.deepEqual(of('{"dockerFile": "Dockerfile"}').build, {
      contextDir: '/src/proj/.devcontainer',
      dockerfile: 'Dockerfile',
    });
  });

  it('refuses a Dockerfile outside the build context', () => {
    assert.match(of('{"build": {"dockerfile": "../Dockerfile"}}').refusals.join(), /lies outside build\.context/);
  });

  it('refuses a command of the wrong form, and a value with ${containerEnv:X} outside a command', () => {
    const t = of('{"postStartCommand": 42, "containerEnv": {"P": "${containerEnv:PATH}:/x"}}');
    assert.match(t.refusals.join('\n'), /postStartCommand must be a command string/);
    assert.match(t.refusals.join('\n'), /containerEnv\.P: \$\{containerEnv:PATH\} is known only inside the container/);
  });

  it('refuses an unknown waitFor', () => {
    assert.match(of('{"waitFor": "later"}').refusals.join(), /waitFor must be one of/);
  });

  it('refuses a forwarded port that is none', () => {
    assert.match(of('{"forwardPorts": [70000, "x"]}').refusals.join('\n'), /forwardPorts\[0\]: 70000 is not a port/);
  });
});
