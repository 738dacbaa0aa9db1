import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { AgentClient } from '../../client/agent-client';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { useAgent } from '../support/use-agent';

// Issue 13, "workspace.yaml": berth init writes a commented definition with the host's defaults,
// berth apply -f creates the workspace or changes it (printing first what changes and whether the
// container is recreated), and berth get -o yaml prints it back, so get → edit → apply round-trips.

const MiB = 1024 ** 2;

describe('workspace.yaml: init, apply and get -o yaml against a real agent', function () {
  this.timeout(180_000);
  const agent = useAgent();
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-yaml-'));
  const file = path.join(dir, 'workspace.yaml');
  let env: NodeJS.ProcessEnv;
  let alice: AgentClient;
  after(() => rmSync(dir, { recursive: true, force: true }));
  before(async () => {
    env = cliEnv(agent.url, agent.token('alice'));
    alice = await agent.connect(agent.token('alice'));
  });

  const ok = (args: string[]) => {
    const run = berth(args, env);
    assert.equal(run.code, 0, `berth ${args.join(' ')}: ${run.stderr}${run.stdout}`);
    return run;
  };

  it("init writes a definition with the host's defaults, and keeps an existing file", async () => {
    ok(['init', 'web', '-f', file]);
    const text = readFileSync(file, 'utf8');
    const info = await alice.request('host.info', {});
    assert.match(text, new RegExp(`^image: "${info.defaultImage}"`, 'm'));
    assert.match(text, /^name: web\b/m);
    const again = berth(['init', 'web', '-f', file], env);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /exists; edit it, or overwrite it with --force/);
  });

  it('apply creates the workspace the file defines', async () => {
    const text = readFileSync(file, 'utf8')
      .replace(/^ {2}cpus: .*$/m, '  cpus: 0.5')
      .replace(/^ {2}memory: .*$/m, '  memory: 256m')
      .replace(/^env: .*$/m, 'env:\n  GREETING: hello')
      .replace(/^# description: .*$/m, 'description: the yaml test');
    writeFileSync(file, text);
    const run = ok(['apply', '-f', file]);
    assert.match(run.stdout, /web: does not exist; creating it/);
    assert.match(run.stdout, /web: running/);
    const { workspace } = await alice.request('workspace.get', { name: 'web' });
    assert.equal(workspace.spec.cpus, 0.5);
    assert.equal(workspace.spec.memory, 256 * MiB);
    assert.deepEqual(workspace.spec.env, { GREETING: 'hello' });
    assert.equal(workspace.spec.description, 'the yaml test');
    assert.match(ok(['apply', '-f', file]).stdout, /web: unchanged/);
  });

  it('get -o yaml → edit → apply changes only what was edited, on the same home and host key', async () => {
    ok(['exec', 'web', '--', 'sh', '-c', 'echo kept > ~/note']);
    const before = (await alice.request('workspace.get', { name: 'web' })).workspace;
    const printed = ok(['get', 'web', '-o', 'yaml']).stdout;
    assert.match(printed, /^status:\n {2}id: /m);
    const edited = path.join(dir, 'edited.yaml');
    writeFileSync(edited, printed.replace(/^ {2}memory: 256m$/m, '  memory: 320m'));

    const dry = ok(['apply', '-f', edited, '--dry-run']);
    assert.match(dry.stdout, /web: 1 change\n {2}resources\.memory {2}256m → 320m\n/);
    assert.match(dry.stdout, /the running container is recreated/);
    assert.match(dry.stdout, /dry run: nothing changed/);
    assert.equal((await alice.request('workspace.get', { name: 'web' })).workspace.spec.memory, 256 * MiB);

    const run = ok(['apply', '-f', edited]);
    assert.match(run.stdout, /web: running/);
    const after = (await alice.request('workspace.get', { name: 'web' })).workspace;
    assert.equal(after.spec.memory, 320 * MiB);
    assert.deepEqual(after.spec.env, { GREETING: 'hello' });
    assert.equal(after.ssh.hostKey, before.ssh.hostKey);
    assert.equal(ok(['exec', 'web', '--', 'cat', 'note']).stdout, 'kept\n');
  });

  it('a bad file is refused with its line and column, and nothing changes', async () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: web\nresources:\n  memory: lots\n  cpu: 2\n');
    const run = berth(['apply', '-f', bad], env);
    assert.notEqual(run.code, 0);
    assert.match(
      run.stderr,
      new RegExp(`${bad.replace(/[.]/g, '\\.')}:3:11: resources\\.memory: "lots" is not a size`),
    );
    assert.match(run.stderr, /:4:3: resources: unknown key "cpu"/);
    const user = path.join(dir, 'user.yaml');
    writeFileSync(user, 'name: web\nuser: bob\n');
    assert.match(berth(['apply', '-f', user], env).stderr, /user is fixed once created/);
    assert.equal((await alice.request('workspace.get', { name: 'web' })).workspace.spec.memory, 320 * MiB);
  });
  it('apply builds the image of build: on the host, hands over secrets:, and rebuilds only what changed', async () => {
    await alice.request('secret.set', { name: 'YAML_TOKEN', value: 's3cret' });
    const ctx = path.join(dir, 'env');
    mkdirSync(ctx);
    writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM berth-workspace:latest\nRUN echo one > /etc/flavour\n');
    const built = path.join(dir, 'built.yaml');
    writeFileSync(
      built,
      'name: built\nbuild:\n  context: env\nresources: { cpus: 0.5, memory: 256m }\nsecrets:\n  - YAML_TOKEN\n',
    );
    ok(['apply', '-f', built]);
    assert.equal(ok(['exec', 'built', '--', 'cat', '/etc/flavour']).stdout, 'one\n');
    assert.equal(ok(['exec', 'built', '--', 'printenv', 'YAML_TOKEN']).stdout, 's3cret\n');
    const first = (await alice.request('workspace.get', { name: 'built' })).workspace;
    assert.equal(first.spec.build?.context, ctx);
    assert.match(ok(['apply', '-f', built]).stdout, /built: unchanged/);

    // get -o yaml names the build, not the image it made: applied back, it is the same workspace.
    const printed = ok(['get', 'built', '-o', 'yaml']).stdout;
    assert.match(printed, /^build:\n {2}context: /m);
    assert.doesNotMatch(printed, /^image:/m);
    assert.match(printed, /^secrets:\n {2}- YAML_TOKEN$/m);
    const again = path.join(dir, 'built-again.yaml');
    writeFileSync(again, printed);
    assert.match(ok(['apply', '-f', again]).stdout, /built: unchanged/);

    writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM berth-workspace:latest\nRUN echo two > /etc/flavour\n');
    const dry = ok(['apply', '-f', built, '--dry-run']);
    assert.match(dry.stdout, /^ {2}build +.* → .*env \(/m);
    assert.match(dry.stdout, /the running container is recreated/);
    assert.equal(ok(['exec', 'built', '--', 'cat', '/etc/flavour']).stdout, 'one\n');
    ok(['apply', '-f', built]);
    assert.equal(ok(['exec', 'built', '--', 'cat', '/etc/flavour']).stdout, 'two\n');
    const after = (await alice.request('workspace.get', { name: 'built' })).workspace;
    assert.notEqual(after.spec.image, first.spec.image);
    assert.equal(after.ssh.hostKey, first.ssh.hostKey);
  });
});
