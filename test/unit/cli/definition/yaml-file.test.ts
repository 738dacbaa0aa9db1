import * as assert from 'node:assert/strict';
import { parse } from 'yaml';
import { BerthError, WorkspaceSpec } from '../../../../protocol';
import { specOf } from '../../../../cli/definition/schema';
import { parseWorkspaceFile } from '../../../../cli/definition/yaml-file';
import { definitionOf, durationText, initTemplate, sizeText, workspaceYaml } from '../../../../cli/definition/render';

/** The error text a file gives (it must be refused). */
function problems(text: string): string {
  try {
    parseWorkspaceFile(text, 'workspace.yaml');
  } catch (err) {
    assert.ok(err instanceof BerthError, String(err));
    assert.equal(err.code, 'invalid_params');
    return err.message;
  }
  assert.fail('the file was accepted');
}

describe('cli: workspace.yaml', () => {
  it('reads every key into the spec it names, sizes and durations in units', () => {
    const doc = parseWorkspaceFile(
      [
        'name: train',
        'description: Training runs',
        'image: berth-workspace:latest',
        'resources:',
        '  cpus: 2.5',
        '  memory: 8g',
        '  gpus: 2',
        '  gpuModel: H100',
        '  gpuMemory: 40GiB',
        'env:',
        '  PORT: 8080     # YAML reads a number; the environment gets text',
        '  DEBUG: true',
        '  NAME: x',
        'command: jupyter lab',
        'idle: { timeout: 2h, attachedGrace: 30m, maxLifetime: 0 }',
        'timezone: Europe/Berlin',
        'user: alice',
        'docker: true',
      ].join('\n'),
      'workspace.yaml',
    );
    assert.deepEqual(specOf(doc), {
      name: 'train',
      description: 'Training runs',
      image: 'berth-workspace:latest',
      cpus: 2.5,
      memory: 8 * 1024 ** 3,
      gpus: 2,
      gpuModel: 'H100',
      gpuMemory: 40 * 1024 ** 3,
      env: { PORT: '8080', DEBUG: 'true', NAME: 'x' },
      command: 'jupyter lab',
      idleTimeout: 7200,
      attachedGrace: 1800,
      maxLifetime: 0,
      timezone: 'Europe/Berlin',
      user: 'alice',
      docker: true,
    });
  });

  it('names a YAML syntax error by line and column', () => {
    assert.match(problems('name: web\nresources:\n  cpus: [2\n'), /^workspace\.yaml:\d+:\d+: /);
    assert.match(problems('name: web\nimage: [x\n'), /^workspace\.yaml:[23]:\d+: /);
  });

  it('names a misspelt key where it is, and says how to find the right one', () => {
    const text = problems('name: web\nresources:\n  cpu: 2\n');
    assert.match(text, /^workspace\.yaml:3:3: resources: unknown key "cpu"/);
    assert.match(text, /berth init/);
  });

  it('points at each bad size and duration without a unit, all at once', () => {
    const text = problems('name: web\nresources:\n  memory: 8x\nidle:\n  timeout: 30\n');
    const lines = text.split('\n');
    assert.equal(lines.length, 2, text);
    assert.match(lines[0] ?? '', /^workspace\.yaml:3:11: resources\.memory: "8x" is not a size/);
    assert.match(lines[1] ?? '', /^workspace\.yaml:5:12: idle\.timeout: 30: a duration needs a unit: 30s, 30m or 30h/);
  });

  it("checks the spec's own rules at the key they came from", () => {
    assert.match(problems('name: Web\n'), /^workspace\.yaml:1:7: name: must be 1–63 lowercase/);
    assert.match(
      problems('name: web\nresources:\n  cpus: 0.001\n'),
      /^workspace\.yaml:3:9: resources\.cpus: must be at least 0\.01/,
    );
    assert.match(
      problems('name: web\nenv:\n  1BAD: x\n'),
      /^workspace\.yaml:3:\d+: env\.1BAD: the name must be a valid environment variable name/,
    );
  });

  it('reads a group whose keys are all commented out as left out', () => {
    const doc = parseWorkspaceFile('name: web\nidle:\n  # timeout: 2h\nresources:\n', 'workspace.yaml');
    assert.deepEqual(specOf(doc), { name: 'web' });
  });

  it('refuses a file with no name, a list, a duplicate key and an unknown image grammar', () => {
    assert.match(problems('image: x\n'), /^workspace\.yaml:1:1: name: is missing/);
    assert.match(problems('- name: web\n'), /expected a mapping/);
    assert.match(problems('name: web\nname: api\n'), /^workspace\.yaml:2:\d+: .*[Uu]nique|duplicate/i);
    assert.match(problems('name: web\nimage: "Bad Image"\n'), /^workspace\.yaml:2:8: image: /);
  });

  it('reads ports: a number, "host:port", or the whole object', () => {
    const doc = parseWorkspaceFile(
      'name: web\nports:\n  - 8888\n  - "db:5432"\n  - { port: 6006, label: tensorboard, protocol: http }\n',
      'workspace.yaml',
    );
    assert.deepEqual(specOf(doc).forwardPorts, [
      { port: 8888 },
      { port: 5432, host: 'db' },
      { port: 6006, label: 'tensorboard', protocol: 'http' },
    ]);
  });

  it('refuses a bad port at its line and column', () => {
    assert.match(problems('name: web\nports:\n  - 8888\n  - 70000\n'), /^workspace\.yaml:4:5: ports\.1\.port: /);
    assert.match(problems('name: web\nports: [web]\n'), /^workspace\.yaml:2:9: ports\.0: "web" is not a port/);
    assert.match(
      problems('name: web\nports:\n  - { port: 80, protocol: ftp }\n'),
      /^workspace\.yaml:3:\d+: ports\.0\.protocol: /,
    );
  });

  it('reads volumes: NAME:/path, /host:/path, :ro, or the object', () => {
    const doc = parseWorkspaceFile(
      'name: web\nvolumes:\n  - data:/data\n  - /srv/sets:/sets:ro\n  - { name: cache, target: /cache, readOnly: true }\n',
      'workspace.yaml',
    );
    assert.deepEqual(specOf(doc).volumes, [
      { name: 'data', target: '/data' },
      { bind: '/srv/sets', target: '/sets', readOnly: true },
      { name: 'cache', target: '/cache', readOnly: true },
    ]);
  });

  it('refuses a bad volume at its line and column, saying why', () => {
    assert.match(
      problems('name: web\nvolumes:\n  - data:/data\n  - data:/etc\n'),
      /^workspace\.yaml:4:5: volumes\.1\.target: must not cover, lie in or lie above \/etc/,
    );
    assert.match(problems('name: web\nvolumes: [data]\n'), /^workspace\.yaml:2:11: volumes\.0: "data" is not a volume/);
    assert.match(
      problems('name: web\nvolumes:\n  - data:/data\n  - other:/data\n'),
      /^workspace\.yaml:4:5: volumes\.1\.target: \/data is mounted twice/,
    );
    assert.match(problems('name: web\nvolumes: ["a:/x:rx"]\n'), /volumes\.0: "a:\/x:rx" is not a volume/);
    assert.match(
      problems('name: web\nvolumes:\n  - { name: d, target: /d, driver: nfs }\n'),
      /^workspace\.yaml:3:\d+: volumes\.0: unknown key "driver"/,
    );
  });

  it('reads secrets, a name alone meaning the variable of that name, and checks them as the spec does', () => {
    const doc = parseWorkspaceFile(
      'name: web\nsecrets:\n  - GITHUB_TOKEN\n  - { key: api, env: API_KEY }\n  - { key: deploy-key, file: /home/dev/.ssh/id }\n',
      'workspace.yaml',
    );
    assert.deepEqual(specOf(doc).secrets, [
      { key: 'GITHUB_TOKEN', env: 'GITHUB_TOKEN' },
      { key: 'api', env: 'API_KEY' },
      { key: 'deploy-key', file: '/home/dev/.ssh/id' },
    ]);
    assert.match(
      problems('name: web\nsecrets:\n  - { key: a, env: X, file: /run/secrets/a }\n'),
      /^workspace\.yaml:3:5: secrets/,
    );
    assert.match(
      problems('name: web\nsecrets:\n  - { key: a, value: hunter2 }\n'),
      /^workspace\.yaml:3:\d+: .*unknown key "value"/,
    );
  });

  it('reads clone: a URL alone, or with branch, folder and secret', () => {
    const short = parseWorkspaceFile('name: web\nclone: https://example.com/team/app.git\n', 'workspace.yaml');
    assert.deepEqual(specOf(short).clone, { url: 'https://example.com/team/app.git' });
    const long = parseWorkspaceFile(
      'name: web\nclone: { url: "git@example.com:team/app.git", branch: dev, into: src/app, secret: key }\nsecrets:\n  - { key: key, file: /run/secrets/key }\n',
      'workspace.yaml',
    );
    assert.deepEqual(specOf(long).clone, {
      url: 'git@example.com:team/app.git',
      branch: 'dev',
      into: 'src/app',
      secret: 'key',
    });
    assert.match(
      problems('name: web\nclone: "--upload-pack=x"\n'),
      /^workspace\.yaml:2:8: clone\.url: must be a git URL/,
    );
    assert.match(
      problems('name: web\nclone: { url: "https://h/r.git", into: ../up }\n'),
      /^workspace\.yaml:2:\d+: clone\.into: must be a folder inside the home/,
    );
  });

  it('reads a build, and refuses one given with an image (a build names its image)', () => {
    const doc = parseWorkspaceFile(
      'name: web\nbuild:\n  context: ./env\n  dockerfile: docker/Dockerfile.dev\n  args: { PY: 3.12 }\n  target: dev\n',
      'workspace.yaml',
    );
    assert.deepEqual(doc.build, {
      context: './env',
      dockerfile: 'docker/Dockerfile.dev',
      args: { PY: '3.12' },
      target: 'dev',
    });
    assert.equal(specOf(doc).image, undefined);
    assert.match(
      problems('name: web\nimage: x\nbuild: { context: . }\n'),
      /^workspace\.yaml:2:8: image: give image or build, not both/,
    );
    assert.match(
      problems('name: web\nbuild: { dockerfile: Dockerfile }\n'),
      /^workspace\.yaml:2:8: build\.context: is missing/,
    );
  });

  it('refuses a file whose aliases expand to a huge document (a "billion laughs")', () => {
    const lol = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      lol.push(
        `${'b'.repeat(i)}: &${'b'.repeat(i)} [${Array(10)
          .fill(`*${i === 1 ? 'a' : 'b'.repeat(i - 1)}`)
          .join(', ')}]`,
      );
    }
    assert.match(problems(`name: web\n${lol.join('\n')}\n`), /alias|unknown key/i);
  });

  it('prints a built image as its build, and secrets shortest, so that apply reads them back', () => {
    const hash = 'c'.repeat(64);
    const spec = WorkspaceSpec.parse({
      name: 'web',
      image: `berth-build/alice-${hash.slice(0, 16)}:agent`,
      cpus: 1,
      memory: 1024 ** 3,
      gpus: 0,
      env: {},
      command: '',
      user: 'dev',
      build: { context: '/src/env', dockerfile: 'Dockerfile', args: {}, hash },
      secrets: [
        { key: 'TOKEN', env: 'TOKEN' },
        { key: 'key', file: '/run/secrets/key' },
      ],
    });
    const printed = definitionOf(spec);
    assert.equal(printed.image, undefined);
    assert.deepEqual(printed.build, { context: '/src/env' });
    assert.deepEqual(printed.secrets, ['TOKEN', { key: 'key', file: '/run/secrets/key' }]);
    const back = parseWorkspaceFile(
      workspaceYaml({
        id: 'ws1',
        name: 'web',
        owner: 'alice',
        spec,
        state: 'running',
        since: '2026-12-02T08:00:00.000Z',
        createdAt: '2026-12-02T07:00:00.000Z',
        ssh: { host: '127.0.0.1', port: 2200, user: 'dev', hostKey: 'ssh-ed25519 AAAA' },
      }),
      'get.yaml',
    );
    assert.deepEqual(back.build, { context: '/src/env' });
    assert.deepEqual(specOf(back).secrets, spec.secrets);
  });

  it('prints a spec back as the document it came from (get -o yaml round-trips)', () => {
    const spec = WorkspaceSpec.parse({
      name: 'web',
      image: 'berth-workspace:latest',
      cpus: 1.5,
      memory: 512 * 1024 ** 2 + 4096,
      gpus: 1,
      gpuMemory: 40 * 1024 ** 3,
      env: { A: '1' },
      command: 'sleep infinity',
      user: 'dev',
      idleTimeout: 5400 + 7,
      maxLifetime: 0,
      timezone: 'UTC',
    });
    const text = workspaceYaml({
      id: 'ws1',
      name: 'web',
      owner: 'alice',
      spec,
      state: 'running',
      since: '2026-12-02T08:00:00.000Z',
      createdAt: '2026-12-02T07:00:00.000Z',
      ssh: { host: '127.0.0.1', port: 2200, user: 'dev', hostKey: 'ssh-ed25519 AAAA' },
    });
    assert.equal((parse(text) as { status: { state: string } }).status.state, 'running');
    // status: is read-only: apply reads the definition back and ignores it.
    assert.deepEqual(specOf(parseWorkspaceFile(text, 'get.yaml')), spec);
  });

  it('writes sizes and durations exactly, in the largest unit that divides them', () => {
    assert.equal(sizeText(8 * 1024 ** 3), '8g');
    assert.equal(sizeText(512 * 1024 ** 2), '512m');
    assert.equal(sizeText(1000), 1000);
    assert.equal(durationText(5400), '1h30m');
    assert.equal(durationText(90061), '1d1h1m1s');
    assert.equal(durationText(0), 0);
  });

  it("berth init's template is a valid definition with the host's defaults", () => {
    const text = initTemplate({
      name: 'web',
      image: 'img:1',
      cpus: 2,
      memory: 4 * 1024 ** 3,
      idleTimeout: 1800,
      user: 'dev',
    });
    assert.deepEqual(specOf(parseWorkspaceFile(text, 'workspace.yaml')), {
      name: 'web',
      image: 'img:1',
      cpus: 2,
      memory: 4 * 1024 ** 3,
      gpus: 0,
      env: {},
      command: '',
    });
    assert.ok(definitionOf);
  });
});
