import * as assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { cliEnv, startBerth } from '../support/cli';
import { docker, dockerExists } from '../support/docker';
import { waitFor } from '../support/wait';
import { useAgent } from '../support/use-agent';

/** Runs the CLI without blocking this process (the agent's events keep flowing meanwhile). */
async function berth(args: string[], env: NodeJS.ProcessEnv) {
  const run = startBerth(args, env);
  const { code } = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

const dirs: string[] = [];
after(() => Promise.all(dirs.splice(0).map((dir) => fs.rm(dir, { recursive: true, force: true }))));

/** A project folder: `.devcontainer/devcontainer.json` with `definition`, and `files` beside it (path → content). */
async function project(definition: unknown, files: Record<string, string> = {}): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-features-'));
  dirs.push(dir);
  const all = { 'devcontainer.json': JSON.stringify(definition, null, 2), ...files };
  for (const [name, content] of Object.entries(all)) {
    const file = path.join(dir, '.devcontainer', name);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content, { mode: name.endsWith('.sh') ? 0o755 : 0o644 });
  }
  return dir;
}

/** A feature's published tarball (.tgz of its folder), made here. */
async function tarball(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) {
    pack.entry({ name: `./${name}`, mode: name.endsWith('.sh') ? 0o755 : 0o644 }, content);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

/** A feature that records its options, its users and the env it saw into /opt/<id>.txt. */
const recorder = (id: string, options: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  'devcontainer-feature.json': JSON.stringify({ id, version: '1.0.0', options, ...extra }),
  'install.sh': `#!/bin/sh\nset -e\necho "${id} greeting=$GREETING loud=$LOUD version=$VERSION user=$_REMOTE_USER home=$_REMOTE_USER_HOME container=$_CONTAINER_USER whoami=$(id -un) env=$HELLO_HOME" > /opt/${id}.txt\nls /opt >> /opt/order.txt\n`,
});

describe('devcontainer features: local folders and the host’s store, built on the host', function () {
  this.timeout(300_000);
  const agent = useAgent();
  let env: NodeJS.ProcessEnv;
  let adminEnv: NodeJS.ProcessEnv;
  let agentId = '';
  before(() => {
    env = cliEnv(agent.url, agent.token('alice'));
    adminEnv = cliEnv(agent.url, agent.token('root', true));
    agentId = readFileSync(path.join(agent.stateDir, 'agent-id'), 'utf8').trim();
  });
  after(() => {
    const ids = docker('images', '--format', '{{.ID}} {{.Tag}}')
      .split('\n')
      .filter((line) => line.endsWith(` ${agentId}`))
      .map((line) => line.split(' ')[0] ?? '');
    if (ids.length) docker('rmi', '-f', ...new Set(ids));
  });

  const inside = async (name: string, script: string) => {
    const run = await berth(['exec', name, '--', 'sh', '-c', script], env);
    assert.equal(run.code, 0, run.stderr);
    return run.stdout;
  };

  const hello = recorder(
    'hello',
    {
      greeting: { type: 'string', default: 'hi', proposals: ['hi', 'hey'] },
      loud: { type: 'boolean', default: false },
    },
    { containerEnv: { HELLO_HOME: '/opt/hello-home' }, installsAfter: ['base'] },
  );
  const base = recorder('base', {});
  const definition = {
    image: 'berth-workspace:latest',
    remoteUser: 'coder',
    hostRequirements: { cpus: 0.5, memory: '256mb' },
    features: { './features/hello': { loud: true }, './features/base': {} },
  };
  const files: Record<string, string> = {};
  for (const [name, text] of Object.entries(hello)) files[`features/hello/${name}`] = text;
  for (const [name, text] of Object.entries(base)) files[`features/base/${name}`] = text;

  it('installs a local feature with its options (a default, a given one), in order, its containerEnv set; the second create is a cache hit', async () => {
    const dir = await project(definition, files);
    const create = await berth(['create', 'feat-one', '--devcontainer', dir], env);
    assert.equal(create.code, 0, create.stderr);
    assert.match(
      create.stderr,
      /installing features on berth-workspace:latest: \.\/features\/base, \.\/features\/hello/,
    );
    assert.match(create.stderr, /Step \d+\/\d+ : RUN cd \/tmp\/berth-features\/2-hello/);
    assert.equal(
      await inside('feat-one', 'cat /opt/hello.txt; echo "$HELLO_HOME"; ls /tmp/berth-features 2>&1 | wc -l'),
      'hello greeting=hi loud=true version= user=coder home=/home/coder container=coder whoami=root env=/opt/hello-home\n/opt/hello-home\n1\n',
    );
    // base ran first: it saw no hello.txt yet.
    assert.doesNotMatch((await inside('feat-one', 'head -c 2000 /opt/order.txt')).split('\n')[0] ?? '', /hello/);

    const again = await berth(['create', 'feat-two', '--devcontainer', dir], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /built before from the same files; reused/);
    assert.doesNotMatch(again.stderr, /Step \d+\/|sending the build context/);
    for (const name of ['feat-one', 'feat-two']) {
      assert.equal((await berth(['rm', name, '--delete-data', '--yes'], env)).code, 0);
    }
  });

  it('installs features on the image the definition builds (FROM its tag); berth rebuild reads the definition again', async () => {
    const built = { ...definition, features: { './features/hello': { greeting: 'one' } } };
    delete (built as { image?: string }).image;
    const dir = await project(
      // The build's context apart from devcontainer.json, so that changing an option leaves the base as it is.
      { ...built, build: { dockerfile: '../docker/Dockerfile', context: '../docker' } },
      { ...files, '../docker/Dockerfile': 'FROM berth-workspace:latest\nRUN echo from-the-build > /opt/base-marker\n' },
    );
    const create = await berth(['create', 'feat-built', '--devcontainer', dir], env);
    assert.equal(create.code, 0, create.stderr);
    assert.match(create.stderr, /RUN echo from-the-build/);
    assert.match(
      create.stderr,
      /installing features on berth-build\/alice-[0-9a-f]{64}:[0-9a-f]+: \.\/features\/hello/,
    );
    assert.match(
      await inside('feat-built', 'cat /opt/base-marker /opt/hello.txt'),
      /^from-the-build\nhello greeting=one /,
    );

    const file = path.join(dir, '.devcontainer', 'devcontainer.json');
    const text = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, text.replace('"greeting": "one"', '"greeting": "two"'));
    const rebuild = await berth(['rebuild', 'feat-built'], env);
    assert.equal(rebuild.code, 0, rebuild.stderr);
    assert.match(
      rebuild.stderr,
      /built before from the same files; reused\n[^]*installing features/,
      `the base is a cache hit:\n${rebuild.stderr}`,
    );
    assert.match(await inside('feat-built', 'cat /opt/hello.txt'), /^hello greeting=two /);

    // Once no workspace names it (--now: nor a trash entry), the features build goes, and the build it stood on with it.
    const baseTag = /installing features on (berth-build\/\S+):/.exec(rebuild.stderr)?.[1] ?? '';
    const client = await agent.connect(agent.token('alice'));
    const { workspace } = await client.request('workspace.get', { name: 'feat-built' });
    assert.ok(dockerExists('image', baseTag) && dockerExists('image', workspace.spec.image));
    assert.equal((await berth(['rm', 'feat-built', '--delete-data', '--now', '--yes'], env)).code, 0);
    await waitFor(
      'both builds to be removed',
      () => !dockerExists('image', workspace.spec.image) && !dockerExists('image', baseTag),
    );
  });

  it('refuses a hostile feature folder before building: a link out, a feature asking for privileges', async () => {
    const linked = await project({ ...definition, features: { './features/hello': {} } }, files);
    await fs.symlink('/etc/shadow', path.join(linked, '.devcontainer', 'features', 'hello', 'shadow'));
    const run = await berth(['create', 'feat-bad', '--devcontainer', linked], env);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /feature \.\/features\/hello: shadow is a link out of the feature \(to \/etc\/shadow\)/);
    const privileged = await project(
      { ...definition, features: { './p': {} } },
      { 'p/devcontainer-feature.json': '{"id": "p", "privileged": true}', 'p/install.sh': '#!/bin/sh\n' },
    );
    const refused = await berth(['create', 'feat-bad', '--devcontainer', privileged], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /privileged: refused: a privileged container is root on the shared host/);
    const { workspaces } = await (await agent.connect(agent.token('alice'))).request('workspace.list', {});
    assert.deepEqual(workspaces, []);
  });

  it('names every OCI feature the store lacks in one error, saying an admin can import it', async () => {
    const dir = await project({
      ...definition,
      features: { 'ghcr.io/devcontainers/features/node:1': {}, 'ghcr.io/example/features/absent:2': {} },
    });
    const run = await berth(['create', 'feat-missing', '--devcontainer', dir], env);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /the features ghcr\.io\/devcontainers\/features\/node:1, ghcr\.io\/example\/features\/absent:2 cannot be resolved offline: this host's feature store lacks them; .*published tarball.*berth feature import REF FILE/,
    );
  });

  it('says the features are left aside when --image names the image', async () => {
    const dir = await project({ ...definition, features: { 'ghcr.io/example/features/absent:2': {} } });
    const run = await berth(['create', 'feat-flag', '--devcontainer', dir, '--image', 'berth-workspace:latest'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /warning: features: ignored: --image names the image instead/);
    assert.equal((await berth(['rm', 'feat-flag', '--delete-data', '--yes'], env)).code, 0);
  });

  it('resolves an OCI feature an admin imported; only an admin imports; a hostile tarball is refused', async () => {
    const ref = 'ghcr.io/devcontainers/features/node:1';
    const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'berth-tgz-')), 'devcontainer-feature-node.tgz');
    dirs.push(path.dirname(file));
    await fs.writeFile(file, await tarball(recorder('node', { version: { type: 'string', default: 'lts' } })));
    const denied = await berth(['feature', 'import', ref, file], env);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /only an admin may import this host's features/);

    const evil = path.join(path.dirname(file), 'evil.tgz');
    await fs.writeFile(evil, await tarball({ ...recorder('node', {}), '../../escape.sh': 'x' }));
    const hostile = await berth(['feature', 'import', ref, evil], adminEnv);
    assert.equal(hostile.code, 1);
    assert.match(hostile.stderr, /the tarball is refused: .*climbs out with "\.\."/);

    const imported = await berth(['feature', 'import', ref, file], adminEnv);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /Imported ghcr\.io\/devcontainers\/features\/node:1 \(feature node 1\.0\.0\)/);
    const ls = await berth(['feature', 'ls'], env);
    assert.match(ls.stdout, /ghcr\.io\/devcontainers\/features\/node:1\s+node\s+1\.0\.0/);

    const dir = await project({ ...definition, features: { [ref]: '20' } });
    const create = await berth(['create', 'feat-oci', '--devcontainer', dir], env);
    assert.equal(create.code, 0, create.stderr);
    assert.match(await inside('feat-oci', 'cat /opt/node.txt'), /^node greeting= loud= version=20 user=coder/);
    assert.equal((await berth(['rm', 'feat-oci', '--delete-data', '--yes'], env)).code, 0);

    const rm = await berth(['feature', 'rm', ref], adminEnv);
    assert.equal(rm.code, 0, rm.stderr);
    assert.match((await berth(['feature', 'ls'], env)).stdout, /No features in this host's store/);
  });
});
