import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BERTH, berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { docker, dockerBuild, dockerExists, labelledWithName } from '../support/docker';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

/**
 * A workspace image with Docker in it, as a user would make one. Built once and kept (its layers
 * are the cache that makes later runs fast: the first build fetches docker.io from Debian's mirror).
 */
const DIND_IMAGE = 'berth-test-dind:latest';
const DIND_DOCKERFILE = `FROM berth-workspace:latest
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker.io iptables && rm -rf /var/lib/apt/lists/*
`;
/** A tiny image made on the host, FROM nothing, with one static binary: no registry involved. */
const HELLO = 'berth-test-dind-hello:latest';

/**
 * Makes {@link HELLO} from Docker's own static init (tini), which every docker.io host has, and the
 * host's `sleep` with the libraries `ldd` names (a process that stays, for the cgroup test).
 */
function makeHello(): void {
  const tini = ['/usr/bin/tini-static', '/usr/bin/docker-init', '/usr/libexec/docker/docker-init']
    .map((candidate) => spawnSync('test', ['-x', candidate]).status === 0 && realpathSync(candidate))
    .find(Boolean);
  if (!tini) throw new Error('no static tini (docker-init) on this host to build the test image from');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-hello-'));
  try {
    copyFileSync(tini, path.join(dir, 'tini'));
    const libraries = [...spawnSync('ldd', ['/bin/sleep'], { encoding: 'utf8' }).stdout.matchAll(/(\/\S+) \(0x/g)];
    for (const file of ['/bin/sleep', ...libraries.map((found) => found[1] ?? '')]) {
      mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
      copyFileSync(file, path.join(dir, file));
    }
    const tar = spawnSync('tar', ['-C', dir, '-c', '.'], { maxBuffer: 64 << 20 });
    const imported = spawnSync('docker', ['import', '-', HELLO], { input: tar.stdout });
    if (imported.status !== 0) throw new Error(`docker import failed: ${imported.stderr.toString()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `berth ARGS` with `input` on its stdin. */
function berthWithInput(args: string[], env: NodeJS.ProcessEnv, input: Buffer) {
  const result = spawnSync(process.execPath, [BERTH, ...args], { env: { ...process.env, ...env }, input });
  return { code: result.status, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

describe('Docker-in-Docker: a workspace that runs Docker inside', function () {
  this.timeout(900_000);
  before(() => {
    dockerBuild(DIND_IMAGE, DIND_DOCKERFILE);
    makeHello();
  });
  after(() => docker('rmi', '-f', HELLO));

  describe('on an agent whose admin allows it', () => {
    const agent = useAgent({ args: ['--allow-docker'] });
    let env: NodeJS.ProcessEnv;
    before(() => (env = cliEnv(agent.url, agent.token('alice'))));

    /** Waits until the inner dockerd answers the workspace user (through the docker group). */
    const innerDockerAnswers = (name: string) =>
      waitFor(
        `the inner dockerd of ${name} to answer`,
        () => berth(['exec', name, '--', 'docker', 'version', '--format', '{{.Server.Version}}'], env).code === 0,
        60_000,
        250,
      );

    /** Creates `name` with Docker inside from {@link DIND_IMAGE}; its id, once its dockerd answers. */
    async function createWithDocker(name: string): Promise<string> {
      const created = berth(['create', name, '--docker', '--image', DIND_IMAGE, '--quiet'], env);
      assert.equal(created.code, 0, created.stderr);
      await innerDockerAnswers(name);
      return (JSON.parse(berth(['get', name, '-o', 'json'], env).stdout) as { id: string }).id;
    }

    /** `docker save` of {@link HELLO} on the host, `docker load` of it in `name`. */
    function loadHello(name: string): void {
      const saved = spawnSync('docker', ['save', HELLO], { maxBuffer: 64 << 20 });
      assert.equal(saved.status, 0, saved.stderr.toString());
      const loaded = berthWithInput(['exec', name, '-i', '--', 'docker', 'load'], env, saved.stdout);
      assert.equal(loaded.code, 0, loaded.stderr);
      assert.match(loaded.stdout, new RegExp(`Loaded image: ${HELLO}`));
    }

    const innerImages = (name: string) =>
      berth(['exec', name, '--', 'docker', 'images', '--format', '{{.Repository}}:{{.Tag}}'], env).stdout.trim();

    it('says so in berth info, with what it gives', () => {
      const info = berth(['info'], env);
      assert.equal(info.code, 0, info.stderr);
      assert.match(info.stdout, /^Docker inside +allowed .*privileged: it gives root on the host$/m);
    });

    it('runs dockerd inside: an image saved on the host loads and runs, for the workspace user', async () => {
      const created = berth(['create', 'ci', '--docker', '--image', DIND_IMAGE, '--quiet'], env);
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, /privileged, root in it is root on the host/);
      await innerDockerAnswers('ci');
      loadHello('ci');
      const ran = berth(['exec', 'ci', '--', 'docker', 'run', '--rm', HELLO, '/tini', '--version'], env);
      assert.equal(ran.code, 0, ran.stderr);
      assert.match(ran.stdout, /^tini version /);
      // Privileged in all but name, and said so: berth get and ls -o wide.
      assert.match(berth(['get', 'ci'], env).stdout, /^Docker inside +yes: privileged/m);
      assert.match(berth(['ls', '-o', 'wide'], env).stdout, /^ci .*\bprivileged\b/m);
    });

    it("keeps an inner container within the workspace's limits: on the host, its cgroup lies below the workspace's", async () => {
      // cgroup v1: the inner dockerd's --cgroup-parent; v2: a private cgroup namespace, nested by berth-init.
      const version = docker('info', '--format', '{{.CgroupVersion}}').trim();
      const id = await createWithDocker('held');
      const [fullId = '', memory = ''] = docker('inspect', '-f', '{{.Id}} {{.HostConfig.Memory}}', `berth-${id}`)
        .trim()
        .split(' ');
      assert.ok(Number(memory) > 0, `the workspace has no memory limit (${memory})`);
      loadHello('held');
      const token = String(86_400 + (process.pid % 10_000));
      const ran = berth(['exec', 'held', '--', 'docker', 'run', '-d', HELLO, '/bin/sleep', token], env);
      assert.equal(ran.code, 0, ran.stderr);
      const cmdline = (pid: string) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } catch {
          return ''; // ended meanwhile
        }
      };
      const pid = await waitFor('the inner container to run on the host', () =>
        readdirSync('/proc').find((entry) => /^\d+$/.test(entry) && cmdline(entry) === `/bin/sleep\0${token}\0`),
      );
      const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
        .split('\n')
        .find((entry) => (version === '2' ? entry.startsWith('0::') : /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(entry)));
      const cgroup = line?.split(':').slice(2).join(':') ?? '';
      const segments = cgroup.split('/');
      const own = segments.findIndex((segment) => segment.includes(fullId));
      assert.ok(
        own > 0 && own < segments.length - 1,
        `the inner container's cgroup ${cgroup} is not below the workspace's`,
      );
      // And the cgroup above it is the one that holds the workspace's memory limit.
      const workspace = segments.slice(0, own + 1).join('/');
      const limit =
        version === '2'
          ? `/sys/fs/cgroup${workspace}/memory.max`
          : `/sys/fs/cgroup/memory${workspace}/memory.limit_in_bytes`;
      assert.equal(readFileSync(limit, 'utf8').trim(), memory);
    });

    it('keeps the inner images across a stop and start (its data volume survives)', async () => {
      await createWithDocker('keep');
      loadHello('keep');
      assert.equal(berth(['stop', 'keep'], env).code, 0);
      const started = berth(['start', 'keep', '--quiet'], env);
      assert.equal(started.code, 0, started.stderr);
      await innerDockerAnswers('keep');
      assert.equal(innerImages('keep'), HELLO);
    });

    it('keeps the inner data with a kept home (no orphan), and deletes it with that home', async () => {
      const id = await createWithDocker('kept');
      const inner = `berth-${id}-docker`;
      assert.ok(dockerExists('volume', inner), `no volume ${inner}`);
      const removed = berth(['rm', 'kept', '--yes'], env);
      assert.equal(removed.code, 0, removed.stderr);
      assert.ok(dockerExists('volume', inner), 'the inner data went without its home');
      // Orphans are listed at start: the inner data of a kept home is none.
      await agent.stop();
      await agent.restart();
      const info = berth(['info'], cliEnv(agent.url, agent.token('root', true)));
      assert.doesNotMatch(info.stdout, /Orphans/);
      const deleted = berth(['homes', 'rm', id, '--yes', '--confirm', id], env);
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.equal(dockerExists('volume', `berth-${id}-home`), false);
      assert.equal(dockerExists('volume', inner), false);
    });

    it('keeps the inner data with the home in the trash, and removes it with the home at once', async () => {
      const id = await createWithDocker('binned');
      const trashed = berth(['rm', 'binned', '--yes', '--delete-data'], env);
      assert.equal(trashed.code, 0, trashed.stderr);
      // In the trash the home is restorable, and the inner Docker's data with it.
      assert.ok(dockerExists('volume', `berth-${id}-docker`));

      const gone = await createWithDocker('gone');
      assert.ok(dockerExists('volume', `berth-${gone}-docker`));
      const removed = berth(['rm', 'gone', '--yes', '--delete-data', '--now'], env);
      assert.equal(removed.code, 0, removed.stderr);
      assert.equal(dockerExists('volume', `berth-${gone}-docker`), false);
    });

    it('refuses to start it again once the admin withdraws the allowance', async () => {
      await createWithDocker('later');
      assert.equal(berth(['stop', 'later'], env).code, 0);
      await agent.stop();
      await agent.restart([]);
      try {
        const started = berth(['start', 'later'], env);
        assert.equal(started.code, 1, started.stderr);
        assert.match(started.stderr, /its admin must enable it/);
        assert.match(berth(['get', 'later'], env).stdout, /^State +stopped/m);
      } finally {
        await agent.stop();
        await agent.restart(['--allow-docker']);
      }
    });

    it('turns Docker on and off with update, on the same home', async () => {
      const created = berth(['create', 'flip', '--image', DIND_IMAGE, '--quiet'], env);
      assert.equal(created.code, 0, created.stderr);
      assert.equal(berth(['exec', 'flip', '--', 'sh', '-c', 'echo kept > ~/note'], env).code, 0);
      const on = berth(['update', 'flip', '--docker', '--quiet'], env);
      assert.equal(on.code, 0, on.stderr);
      assert.match(on.stdout, /privileged/);
      await innerDockerAnswers('flip');
      const off = berth(['update', 'flip', '--clear', 'docker', '--quiet'], env);
      assert.equal(off.code, 0, off.stderr);
      assert.notEqual(berth(['exec', 'flip', '--', 'docker', 'version'], env).code, 0, 'dockerd still runs');
      assert.equal(berth(['exec', 'flip', '--', 'cat', 'note'], env).stdout, 'kept\n');
    });

    it('says what is missing when the image has no dockerd', () => {
      const created = berth(['create', 'plain', '--docker', '--quiet'], env);
      assert.notEqual(created.code, 0);
      assert.match(created.stderr, /its image has no dockerd; use an image with Docker installed/);
      assert.deepEqual(labelledWithName('plain'), { containers: [], volumes: [] });
    });
  });

  describe('on an agent whose admin does not allow it', () => {
    const agent = useAgent();

    it('refuses the create, saying the admin must enable it and that it gives root on the host', () => {
      const env = cliEnv(agent.url, agent.token('alice'));
      const created = berth(['create', 'ci', '--docker', '--image', DIND_IMAGE], env);
      assert.equal(created.code, 1, created.stderr);
      assert.match(created.stderr, /does not allow Docker inside workspaces; its admin must enable it/);
      assert.match(created.stderr, /gives root on the host/);
      assert.deepEqual(labelledWithName('ci'), { containers: [], volumes: [] });
      assert.doesNotMatch(berth(['info'], env).stdout, /Docker inside/);
    });
  });

  describe('on an agent whose admin allows it to some users by name (--allow-docker-for)', () => {
    const agent = useAgent({ args: ['--allow-docker-for', 'alice'] });

    it('lets the named user through, and refuses everyone else, on create and on update, saying how to ask', async () => {
      const alice = cliEnv(agent.url, agent.token('alice'));
      const bob = cliEnv(agent.url, agent.token('bob'));
      // Alice passes the allowance: what stops her is the image, which has no dockerd.
      const hers = berth(['create', 'ci', '--docker', '--quiet'], alice);
      assert.notEqual(hers.code, 0);
      assert.match(hers.stderr, /its image has no dockerd/);
      const his = berth(['create', 'ci', '--docker', '--quiet'], bob);
      assert.equal(his.code, 1, his.stderr);
      assert.match(his.stderr, /only to the users its admin named, and bob is not one/);
      assert.match(his.stderr, /--allow-docker-for bob/);
      assert.deepEqual(labelledWithName('ci'), { containers: [], volumes: [] });
      // Nor can he turn it on afterwards.
      assert.equal(berth(['create', 'plain', '--quiet', ...['--memory', '256m', '--cpus', '0.5']], bob).code, 0);
      const update = berth(['update', 'plain', '--docker', '--quiet'], bob);
      assert.equal(update.code, 1, update.stderr);
      assert.match(update.stderr, /bob is not one/);
      // What host.info tells each: whether they may.
      const asAlice = await agent.connect(agent.token('alice'));
      const asBob = await agent.connect(agent.token('bob'));
      assert.equal((await asAlice.request('host.info', {})).dockerInDocker, true);
      assert.equal((await asBob.request('host.info', {})).dockerInDocker, false);
    });

    it('refuses a name that is no user name when the agent starts', () => {
      const run = berth([
        'serve',
        '--allow-docker-for',
        'not a user!',
        '--state-dir',
        mkdtempSync(path.join(os.tmpdir(), 'berth-')),
      ]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /--allow-docker-for not a user!: .*give a user name/);
    });
  });
});
