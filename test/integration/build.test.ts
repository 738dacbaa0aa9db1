import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AgentClient } from '../../client/agent-client';
import { buildImage } from '../../client/build';
import { BUILD_WINDOW, type Workspace } from '../../protocol';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { docker, dockerExists } from '../support/docker';
import { sshKeyPair, sshRun } from '../support/ssh';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';
import { refusal } from '../support/refusal';

const SMALL = ['--memory', '256m', '--cpus', '0.5'];

const folders: string[] = [];
after(() => folders.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A fresh folder with `files` (path → content), removed after the suite. */
function folder(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-build-'));
  folders.push(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

/** The id of a local image. */
const imageId = (image: string) => docker('image', 'inspect', '-f', '{{.Id}}', image).trim();

describe('builds on the host: berth create --build, berth rebuild', function () {
  this.timeout(300_000);
  const agent = useAgent({ args: ['--max-build-context', '2m'] });
  const key = sshKeyPair();
  let alice: AgentClient;
  let bob: AgentClient;
  let env: NodeJS.ProcessEnv;
  let bobEnv: NodeJS.ProcessEnv;
  const as = (args: string[]) => berth(args, env);
  /** The images this agent has built, by name. */
  const ownBuilds = () =>
    docker('images', '--format', '{{.Repository}}:{{.Tag}}')
      .split('\n')
      .filter((image) => image.startsWith('berth-build/') && image.endsWith(`:${agentId}`));
  const marker = randomBytes(6).toString('hex');
  const context = folder({
    Dockerfile: `FROM berth-workspace:latest\nCOPY . /opt/ctx/\nRUN echo built-${marker} > /opt/built\n`,
    '.dockerignore': 'secret.txt\n',
    'hello.txt': 'hello one\n',
    'secret.txt': 'do not send\n',
  });
  let created: Workspace;
  let agentId = '';

  before(async () => {
    const aliceToken = agent.token('alice');
    env = cliEnv(agent.url, aliceToken);
    bobEnv = cliEnv(agent.url, agent.token('bob'));
    alice = await agent.connect(aliceToken);
    bob = await agent.connect(agent.token('bob'));
    await alice.request('user.addKey', { key: key.publicKey });
    agentId = readFileSync(path.join(agent.stateDir, 'agent-id'), 'utf8').trim();
  });

  after(() => {
    // Every image this agent built carries its id.
    const id = agentId;
    const images = docker('images', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}')
      .split('\n')
      .filter((line) => line.endsWith(`:${id}`))
      .map((line) => line.split(' ')[0] ?? '');
    if (images.length) docker('rmi', '-f', ...new Set(images));
  });

  it('builds from a folder, prints the log, and the workspace runs from the image (stock ssh in)', async () => {
    const run = as(['create', 'built', '--build', context, ...SMALL]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /Step 1\/\d+ : FROM berth-workspace:latest/);
    assert.match(run.stderr, /sending the build context/);
    assert.ok(run.stderr.indexOf('Waiting for sshd') > run.stderr.indexOf('Step 1/'), 'the log, then the progress');
    created = (await alice.request('workspace.get', { name: 'built' })).workspace;
    assert.equal(created.state, 'running');
    assert.match(created.spec.image, /^berth-build\/alice-[0-9a-f]{64}:[0-9a-f]{16}$/);
    assert.equal(created.spec.build?.context, context);
    const inside = sshRun(created, key.privateKey, 'cat /opt/built /opt/ctx/hello.txt');
    assert.equal(inside.code, 0, inside.stderr);
    assert.equal(inside.stdout, `built-${marker}\nhello one\n`);
  });

  it('leaves out what .dockerignore names', () => {
    const inside = sshRun(created, key.privateKey, 'ls -A /opt/ctx');
    assert.equal(inside.stdout.split('\n').filter(Boolean).sort().join(' '), '.dockerignore Dockerfile hello.txt');
  });

  it('builds the same inputs once: the second is a cache hit, with no upload and no build', async () => {
    const events: string[] = [];
    const result = await buildImage(
      alice,
      { contextDir: context },
      { onLog: () => events.push('log'), onProgress: (p) => events.push(p.phase) },
    );
    assert.deepEqual(result, { image: created.spec.image, cached: true, build: created.spec.build });
    assert.deepEqual(events, []);
    const run = as(['create', 'again', '--build', context, ...SMALL]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /built before from the same files; reused/);
    assert.doesNotMatch(run.stderr, /Step 1\/|sending the build context/);
    const rm = as(['rm', 'again', '--delete-data', '--now', '--yes']);
    assert.equal(rm.code, 0, rm.stderr);
  });

  it('a changed file no step copies builds from Docker’s cache, Berth’s own label step too', async () => {
    const dir = folder({
      Dockerfile: `FROM berth-workspace:latest\nRUN echo ${marker} > /opt/m\n`,
      'notes.txt': 'one',
    });
    // Removed at the end: later tests count this agent's builds.
    const made: string[] = [];
    try {
      const first = await buildImage(alice, { contextDir: dir, digests: null });
      made.push(first.image);
      writeFileSync(path.join(dir, 'notes.txt'), 'two');
      const log: string[] = [];
      const second = await buildImage(alice, { contextDir: dir, digests: null }, { onLog: (text) => log.push(text) });
      made.push(second.image);
      assert.notEqual(second.image, first.image, 'other inputs, another build');
      assert.equal(second.cached, false);
      // Each step's lines: "Step N/M : INSTRUCTION", then " ---> Using cache" when Docker had it.
      const steps = log
        .join('')
        .split(/^Step \d+\/\d+ : /m)
        .slice(1);
      const label = steps.find((step) => step.startsWith('LABEL dev.berth.build='));
      assert.ok(label, `no label step in: ${log.join('')}`);
      assert.match(label, /Using cache/);
      assert.equal(imageId(second.image), imageId(first.image));
      // Bob's label differs: the same files never come from alice's image.
      const bobs = await buildImage(bob, { contextDir: dir, digests: null });
      made.push(bobs.image);
      assert.notEqual(imageId(bobs.image), imageId(first.image));
    } finally {
      if (made.length) docker('rmi', ...made);
    }
  });

  it('refuses a context over the agent’s limit before sending it, naming the size and the limit', async () => {
    const big = folder({ Dockerfile: 'FROM berth-workspace:latest\n', 'blob.bin': randomBytes(3 * 1024 * 1024) });
    const events: string[] = [];
    const err = await refusal(buildImage(alice, { contextDir: big }, { onProgress: (p) => events.push(p.phase) }));
    assert.equal(err.code, 'invalid_params');
    assert.match(
      err.message,
      /the build context is 3 MiB, over this agent's limit of 2 MiB; leave files out with a \.dockerignore/,
    );
    assert.deepEqual(events, [], 'it started an upload');
  });

  it('says which step failed and what it printed', async () => {
    const bad = folder({ Dockerfile: `FROM berth-workspace:latest\nRUN echo broken-${marker} >&2; exit 3\n` });
    const log: string[] = [];
    const err = await refusal(buildImage(alice, { contextDir: bad }, { onLog: (text) => log.push(text) }));
    assert.equal(err.code, 'runtime_error');
    assert.match(err.message, /^the build failed at step 2\/\d+ \(RUN echo broken-/);
    assert.match(err.message, /returned a non-zero code: 3/);
    assert.match(err.message, new RegExp(`last output: broken-${marker}`));
    assert.match(log.join(''), new RegExp(`broken-${marker}`));
  });

  it('berth rebuild builds again and recreates the container: home files and host key kept', () => {
    assert.equal(sshRun(created, key.privateKey, 'echo mine > ~/kept.txt').code, 0);
    const before = docker('inspect', '-f', '{{.Id}}', `berth-${created.id}`);
    writeFileSync(path.join(context, 'hello.txt'), 'hello two\n');
    const run = as(['rebuild', 'built', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const rebuilt = JSON.parse(run.stdout) as Workspace;
    assert.equal(rebuilt.state, 'running');
    assert.notEqual(rebuilt.spec.image, created.spec.image);
    assert.notEqual(docker('inspect', '-f', '{{.Id}}', `berth-${created.id}`), before);
    // The old known_hosts line (the host key of the first create), strict checking.
    const inside = sshRun(created, key.privateKey, 'cat ~/kept.txt /opt/ctx/hello.txt');
    assert.equal(inside.code, 0, inside.stderr);
    assert.equal(inside.stdout, 'mine\nhello two\n');
    created = rebuilt;
  });

  it('removes the old built image once no workspace uses it', async () => {
    await waitFor('the first build to be removed', () => {
      return ownBuilds().length === 1;
    });
  });

  it('a cached rebuild still recreates the container, on the same home', () => {
    const before = docker('inspect', '-f', '{{.Id}}', `berth-${created.id}`);
    const run = as(['rebuild', 'built']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /reused/);
    assert.notEqual(docker('inspect', '-f', '{{.Id}}', `berth-${created.id}`), before);
    assert.equal(sshRun(created, key.privateKey, 'cat ~/kept.txt').stdout, 'mine\n');
  });

  it('cancelling a build leaves nothing half-made: no image, no build container', async () => {
    const slow = folder({ Dockerfile: `FROM berth-workspace:latest\nRUN sleep 300 # cancel-${marker}\n` });
    const stop = new AbortController();
    let log = '';
    const building = buildImage(
      alice,
      { contextDir: slow },
      {
        signal: stop.signal,
        onLog: (text) => {
          log += text;
          if (/Running in/.test(log)) stop.abort();
        },
      },
    );
    const err = await refusal(building);
    assert.equal(err.code, 'cancelled');
    const running = () => docker('ps', '-a', '--no-trunc', '--format', '{{.Command}}').includes(`cancel-${marker}`);
    await waitFor('the build container to go', () => !running(), 60_000);
    const probe = await alice.request('image.build', {
      hash: '0'.repeat(64),
      size: 1024,
      probe: true,
    });
    assert.equal(probe.cached, false);
    assert.deepEqual(ownBuilds(), [created.spec.image]);
  });

  it('another user cannot rebuild your workspace', async () => {
    const err = await refusal(
      bob.request('workspace.rebuild', {
        name: 'built',
        owner: 'alice',
        image: 'berth-workspace:latest',
        build: { ...created.spec.build!, hash: '1'.repeat(64) },
      }),
    );
    assert.equal(err.code, 'forbidden');
    const run = berth(['rebuild', 'built', '--owner', 'alice'], bobEnv);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /you can only use your own workspaces; "built" belongs to alice/);
    const { workspace } = await alice.request('workspace.get', { name: 'built' });
    assert.equal(workspace.spec.image, created.spec.image);
  });

  it('another user neither sees nor runs your build, by tag or by id', async () => {
    const { images } = await bob.request('host.images', {});
    assert.ok(!images.some((image) => image.startsWith('berth-build/')), images.join(' '));
    assert.ok((await alice.request('host.images', {})).images.includes(created.spec.image));
    const id = docker('image', 'inspect', '--format', '{{.Id}}', created.spec.image).trim();
    for (const image of [created.spec.image, id]) {
      const err = await refusal(bob.request('workspace.create', { name: 'stolen', image }));
      assert.equal(err.code, 'forbidden');
      assert.match(err.message, /another user's build/);
    }
    const err = await refusal(
      bob
        .request('workspace.create', { name: 'stolen2' })
        .then(() => bob.request('workspace.update', { name: 'stolen2', changes: { image: created.spec.image } })),
    );
    assert.equal(err.code, 'forbidden');
  });

  it("checks the image again when a start makes the container anew: a name retagged to another user's build is refused", async () => {
    const name = `berth-recheck-${marker}:x`;
    docker('tag', 'berth-workspace:latest', name);
    try {
      await bob.request('workspace.create', { name: 'retagged', image: name, memory: 256 * 1024 ** 2, cpus: 0.5 });
      await bob.request('workspace.stop', { name: 'retagged' });
      // Changed limits: the next start makes a new container from the image by its name.
      await bob.request('workspace.update', { name: 'retagged', changes: { cpus: 0.25 } });
      docker('tag', created.spec.image, name);
      const err = await refusal(bob.request('workspace.start', { name: 'retagged' }));
      assert.equal(err.code, 'forbidden', err.message);
      assert.match(err.message, /another user's build/);
    } finally {
      await bob.request('workspace.delete', { name: 'retagged', deleteData: true }).catch(() => undefined);
      docker('rmi', name);
    }
  });

  it("runs each step within a default workspace's memory and CPUs, not the host's", async () => {
    const dir = folder({
      Dockerfile:
        'FROM berth-workspace:latest\nRUN (cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes) > /opt/limit\n',
    });
    const built = await buildImage(alice, { contextDir: dir });
    const { defaults } = await alice.request('host.info', {});
    const limit = docker('run', '--rm', '--entrypoint', 'cat', built.image, '/opt/limit').trim();
    assert.equal(Number(limit), defaults?.memory);
  });

  it('berth rebuild of a workspace made from a named image says what to do instead', () => {
    assert.equal(as(['create', 'plain', ...SMALL]).code, 0);
    const run = as(['rebuild', 'plain']);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /"plain" was not made from a build \(its image is berth-workspace:latest\); change its image with berth update plain --image IMG/,
    );
    assert.ok(!dockerExists('image', 'berth-build/alice-none'));
  });

  it("berth create --devcontainer builds the definition's build on the host, with its arguments", async () => {
    const project = folder({
      '.devcontainer/devcontainer.json':
        '{ "build": { "dockerfile": "Dockerfile", "context": "..", "args": { "FLAVOUR": "from-dc" } } }',
      '.devcontainer/Dockerfile': 'FROM berth-workspace:latest\nARG FLAVOUR\nRUN echo "$FLAVOUR" > /opt/flavour\n',
    });
    const run = as(['create', 'dc', '--devcontainer', project, ...SMALL]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /Step 1\/\d+ : FROM berth-workspace:latest/);
    const { workspace } = await alice.request('workspace.get', { name: 'dc' });
    assert.deepEqual(
      {
        context: workspace.spec.build?.context,
        dockerfile: workspace.spec.build?.dockerfile,
        args: workspace.spec.build?.args,
      },
      { context: project, dockerfile: '.devcontainer/Dockerfile', args: { FLAVOUR: 'from-dc' } },
    );
    assert.match(workspace.spec.image, /^berth-build\/alice-/);
    const inside = sshRun(workspace, key.privateKey, 'cat /opt/flavour');
    assert.equal(inside.stdout, 'from-dc\n', inside.stderr);
  });
});

describe('builds on the host: a context larger than the flow-control window', function () {
  this.timeout(300_000);
  const agent = useAgent();
  const blob = randomBytes(BUILD_WINDOW + 8 * 1024 * 1024);
  let image = '';

  after(() => {
    if (image) docker('rmi', '-f', image);
  });

  it('arrives whole, byte for byte, with the upload reported as it goes', async () => {
    const client = await agent.connect(agent.token('carol'));
    const dir = folder({ Dockerfile: 'FROM berth-workspace:latest\nCOPY blob /blob\n', blob });
    const uploaded: number[] = [];
    const phases: string[] = [];
    const built = await buildImage(
      client,
      { contextDir: dir },
      {
        onProgress: (p) => {
          phases.push(p.phase);
          if (p.phase === 'uploading') uploaded.push(p.bytes);
        },
      },
    );
    assert.ok(phases.lastIndexOf('uploading') < phases.indexOf('building'), `phases: ${phases.join(' ')}`);
    image = built.image;
    assert.ok(uploaded.length > 2 && uploaded.at(-1)! >= blob.length, `progress: ${uploaded.join(' ')}`);
    const sum = docker('run', '--rm', '--entrypoint', 'sha256sum', image, '/blob').split(' ')[0];
    assert.equal(sum, createHash('sha256').update(blob).digest('hex'));
  });
});
