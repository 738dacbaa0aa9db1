import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AgentClient } from '../../client/agent-client';
import { cliEnv, startBerth } from '../support/cli';
import { docker } from '../support/docker';
import { sshKeyPair } from '../support/ssh';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

/** Runs the CLI without blocking this process (the agent's events keep flowing meanwhile). */
async function berth(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startBerth(args, env);
  const { code } = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** A project folder holding `.devcontainer/devcontainer.json` with `text`. */
async function project(text: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-dc-project-'));
  await fs.mkdir(path.join(dir, '.devcontainer'));
  await fs.writeFile(path.join(dir, '.devcontainer', 'devcontainer.json'), text);
  return dir;
}

const containerId = (id: string) => docker('inspect', '-f', '{{.Id}}', `berth-${id}`).trim();

describe('devcontainer.json: berth create --devcontainer against a real agent and Docker', function () {
  this.timeout(240_000);
  const agent = useAgent();
  let env: NodeJS.ProcessEnv;
  let client: AgentClient;
  before(async () => {
    const token = agent.token('alice');
    env = cliEnv(agent.url, token);
    client = await agent.connect(token);
  });

  /** `berth exec NAME -- sh -c SCRIPT`'s stdout. */
  const inside = async (name: string, script: string) => {
    const run = await berth(['exec', name, '--', 'sh', '-c', script], env);
    assert.equal(run.code, 0, run.stderr);
    return run.stdout;
  };

  it('creates from image, containerEnv, remoteUser and lifecycle commands; postCreate once per home, postStart every start', async () => {
    const dir = await project(`{
      // comments and trailing commas, as in the wild
      "name": "Demo",
      "image": "berth-workspace:latest",
      "containerEnv": { "GREETING": "hello from \${localWorkspaceFolderBasename}", },
      "remoteUser": "coder",
      "hostRequirements": { "cpus": 0.5, "memory": "256mb" },
      "forwardPorts": [8888],
      "portsAttributes": { "8888": { "label": "notebook" } },
      "onCreateCommand": { "one": "echo one > ~/on-create-1", "two": ["sh", "-c", "echo two > /home/coder/on-create-2"] },
      "postCreateCommand": "echo \\"$GREETING\\" >> ~/post-create.log",
      "postStartCommand": ["sh", "-c", "date +%s%N >> $HOME/post-start.log"],
      "waitFor": "postStartCommand",
    }`);
    const create = await berth(['create', 'dc-main', '--devcontainer', dir], env);
    assert.equal(create.code, 0, create.stderr);
    assert.match(
      create.stderr,
      /warning: .*devcontainer\.json:3:7: name: ignored: the workspace takes the name it is created with/,
    );
    assert.match(create.stderr, /dc-main: onCreateCommand one: |dc-main: Running onCreateCommand/);
    const { workspace } = await client.request('workspace.get', { name: 'dc-main' });
    assert.equal(workspace.spec.user, 'coder');
    assert.equal(workspace.spec.env.GREETING, `hello from ${path.basename(dir)}`);
    assert.equal(workspace.spec.devcontainer, path.join(dir, '.devcontainer', 'devcontainer.json'));

    assert.equal(await inside('dc-main', 'cat ~/on-create-1 ~/on-create-2; whoami'), 'one\ntwo\ncoder\n');
    const lines = async (file: string) => (await inside('dc-main', `cat ~/${file}`)).trim().split('\n');
    assert.deepEqual(await lines('post-create.log'), [`hello from ${path.basename(dir)}`]);
    assert.equal((await lines('post-start.log')).length, 1);

    for (const args of [
      ['stop', 'dc-main'],
      ['start', 'dc-main'],
    ]) {
      const run = await berth(args, env);
      assert.equal(run.code, 0, run.stderr);
    }
    assert.equal((await lines('post-create.log')).length, 1, 'postCreate ran again after stop/start');
    assert.equal((await lines('post-start.log')).length, 2);

    const before = containerId(workspace.id);
    const update = await berth(['update', 'dc-main', '--memory', '300m'], env);
    assert.equal(update.code, 0, update.stderr);
    assert.notEqual(containerId(workspace.id), before, 'the update recreates the container');
    assert.equal(
      (await lines('post-create.log')).length,
      1,
      'postCreate ran again in a new container on the same home',
    );
    assert.equal((await lines('post-start.log')).length, 3);

    const get = await berth(['get', 'dc-main'], env);
    assert.match(get.stdout, /Definition\s+.*\.devcontainer\/devcontainer\.json/);
    assert.match(get.stdout, /Ports\s+8888 \(notebook\) \(not forwarded yet\)/);
    assert.match(
      get.stdout,
      /Lifecycle\s+onCreateCommand, postCreateCommand, postStartCommand; waits for postStartCommand/,
    );
    assert.equal((await berth(['rm', 'dc-main', '--delete-data', '--yes'], env)).code, 0);
  });

  it('keeps a workspace whose command fails, saying so in the create output and its message; later stages do not run', async () => {
    const dir = await project(`{
      "image": "berth-workspace:latest",
      "updateContentCommand": "echo broken step; exit 3",
      "postCreateCommand": "touch ~/post-create-ran",
    }`);
    const create = await berth(['create', 'dc-fail', '--devcontainer', dir], env);
    assert.equal(create.code, 0, create.stderr);
    assert.match(create.stderr, /updateContentCommand failed with exit code 3: broken step/);
    const { workspace } = await client.request('workspace.get', { name: 'dc-fail' });
    assert.equal(workspace.state, 'running');
    assert.match(
      workspace.message ?? '',
      /updateContentCommand failed with exit code 3: broken step; the lifecycle commands after it did not run/,
    );
    assert.equal(await inside('dc-fail', 'ls ~/post-create-ran 2>/dev/null || echo absent'), 'absent\n');
    assert.equal((await berth(['rm', 'dc-fail', '--delete-data', '--yes'], env)).code, 0);
  });

  it('runs the stages after waitFor once create has returned, and shows their failure in the message', async () => {
    const dir = await project('{"image": "berth-workspace:latest", "postCreateCommand": "echo late failure; exit 4"}');
    const create = await berth(['create', 'dc-late', '--devcontainer', dir], env);
    assert.equal(create.code, 0, create.stderr);
    await waitFor('the postCreateCommand failure in the message', async () => {
      const { workspace } = await client.request('workspace.get', { name: 'dc-late' });
      return /postCreateCommand failed with exit code 4: late failure/.test(workspace.message ?? '');
    });
    assert.equal((await berth(['rm', 'dc-late', '--delete-data', '--yes'], env)).code, 0);
  });

  it('runs postAttachCommand each time berth ssh attaches, before the session', async () => {
    const dir = await project(`{
      "image": "berth-workspace:latest",
      "postAttachCommand": { "log": "echo attached >> ~/attached.log", "say": ["echo", "hello from postAttach"] },
    }`);
    assert.equal((await berth(['create', 'dc-attach', '--devcontainer', dir], env)).code, 0);
    const key = sshKeyPair();
    assert.equal((await berth(['key', 'add', `${key.privateKey}.pub`], env)).code, 0);
    const enter = () => berth(['ssh', 'dc-attach', '--identity', key.privateKey, '--', 'cat', 'attached.log'], env);
    const first = await enter();
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, 'attached\n');
    assert.match(first.stderr, /hello from postAttach/);
    assert.equal((await enter()).stdout, 'attached\nattached\n');
    assert.equal((await berth(['rm', 'dc-attach', '--delete-data', '--yes'], env)).code, 0);
  });

  it('refuses each refused property with its reason, before anything is created', async () => {
    const dir = await project(`{
      "image": "berth-workspace:latest",
      "initializeCommand": "make",
      "privileged": true,
      "runArgs": ["--network=host"],
      "capAdd": ["SYS_ADMIN"],
      "appPort": [3000],
      "mounts": ["type=tmpfs,target=/x"],
      "remoteUser": "root"
    }`);
    const create = await berth(['create', 'dc-refused', '--devcontainer', dir], env);
    assert.equal(create.code, 1);
    const file = path.join(dir, '.devcontainer', 'devcontainer.json');
    for (const [line, key, why] of [
      [3, 'initializeCommand', 'it runs on the host before the container exists'],
      [4, 'privileged', 'a privileged container is root on the shared host'],
      [5, 'runArgs', 'raw docker run flags bypass the limits'],
      [6, 'capAdd', 'extra capabilities weaken the isolation'],
      [7, 'appPort', "it publishes ports on the host's network"],
      [9, 'remoteUser', '"root": workspaces log in as an unprivileged user'],
    ] as const) {
      assert.ok(
        create.stderr.includes(`refused: ${file}:${line}:7: ${key}: refused: ${why}`),
        `${key}:\n${create.stderr}`,
      );
    }
    assert.ok(create.stderr.includes(`refused: ${file}:8:18: mounts[0]: type=tmpfs: not supported`), create.stderr);
    assert.match(create.stderr, /7 properties refused \(above\); nothing was created/);
    const { workspaces } = await client.request('workspace.list', {});
    assert.deepEqual(
      workspaces.map((ws) => ws.name),
      [],
    );
  });

  it('names the line and column of a syntax error', async () => {
    const dir = await project('{\n  "image": "berth-workspace:latest"\n  "remoteUser": "dev"\n}');
    const create = await berth(
      ['create', 'dc-syntax', '--devcontainer', path.join(dir, '.devcontainer', 'devcontainer.json')],
      env,
    );
    assert.equal(create.code, 1);
    assert.match(create.stderr, /devcontainer\.json:3:3: "," expected/);
  });

  it('refuses hostRequirements the host cannot meet, saying what it has', async () => {
    const dir = await project('{"image": "berth-workspace:latest", "hostRequirements": {"cpus": 4096}}');
    const create = await berth(['create', 'dc-big', '--devcontainer', dir], env);
    assert.equal(create.code, 1);
    assert.match(create.stderr, new RegExp(`hostRequirements\\.cpus 4096: host .* has ${os.cpus().length} CPUs`));
  });

  it('lets the flags override the definition', async () => {
    const dir = await project('{"image": "no-such-image:1", "containerEnv": {"A": "1", "B": "2"}}');
    const create = await berth(
      [
        'create',
        'dc-flags',
        '--devcontainer',
        dir,
        '--image',
        'berth-workspace:latest',
        '--env',
        'B=3',
        '--cpus',
        '0.5',
        '--memory',
        '256m',
      ],
      env,
    );
    assert.equal(create.code, 0, create.stderr);
    const { workspace } = await client.request('workspace.get', { name: 'dc-flags' });
    assert.deepEqual([workspace.spec.image, workspace.spec.env], ['berth-workspace:latest', { A: '1', B: '3' }]);
    assert.equal((await berth(['rm', 'dc-flags', '--delete-data', '--yes'], env)).code, 0);
  });
});
