import * as assert from 'node:assert/strict';
import { promises as fs, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { berth } from '../support/agent-process';
import { cliEnv, startBerth } from '../support/cli';
import { sshKeyPair } from '../support/ssh';
import { useAgent } from '../support/use-agent';

type Run = ReturnType<typeof berth>;

function succeeds(run: Run): string {
  assert.equal(run.code, 0, `exit code ${run.code}; stderr:\n${run.stderr}`);
  return run.stdout;
}

function failsInOneLine(run: Run, pattern: RegExp): void {
  assert.notEqual(run.code, 0, 'exits non-zero');
  const lines = run.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `one line on stderr, got:\n${run.stderr}`);
  assert.match(lines[0]!, pattern);
}

describe('cli: several hosts in the config file', function () {
  this.timeout(120_000);
  const alpha = useAgent();
  const beta = useAgent();
  let alphaToken: string;
  let betaToken: string;
  /** A person with no BERTH_URL/BERTH_TOKEN: only the config file says where the agents are. */
  let env: NodeJS.ProcessEnv;
  const key = sshKeyPair();
  const as = (args: string[], extra: NodeJS.ProcessEnv = {}) => berth(args, { ...env, ...extra });
  const config = () => env.BERTH_CONFIG!;
  const saved = () => JSON.parse(readFileSync(config(), 'utf8')) as { default?: string; hosts: object };
  /** The user the agent that answered knows this CLI as: alice on alpha, bob on beta. */
  const whoAnswers = (args: string[] = [], extra: NodeJS.ProcessEnv = {}) =>
    (JSON.parse(succeeds(as(['key', 'add', `${key.privateKey}.pub`, '--json', ...args], extra))) as { user: string })
      .user;

  before(() => {
    alphaToken = alpha.token('alice');
    betaToken = beta.token('bob');
    env = { ...cliEnv('', undefined), BERTH_URL: undefined, BERTH_HOST: undefined };
  });

  after(async () => {
    if (env?.HOME) await fs.rm(env.HOME, { recursive: true, force: true });
  });

  it('adds a host by URL, checks its token, and makes the first one the default', () => {
    const out = succeeds(as(['host', 'add', alpha.url, '--name', 'alpha', '--token', alphaToken]));
    assert.equal(out, `alpha: ${alpha.url} as alice; saved in ${config()} as the default host\n`);
    assert.deepEqual(saved(), { default: 'alpha', hosts: { alpha: { url: alpha.url, token: alphaToken } } });
  });

  it('adds a second host beside the first, which stays the default', () => {
    const out = succeeds(as(['host', 'add', beta.url, '--name', 'beta'], { BERTH_TOKEN: betaToken }));
    assert.equal(out, `beta: ${beta.url} as bob; saved in ${config()}\n`);
    assert.deepEqual(Object.keys(saved().hosts), ['alpha', 'beta']);
    assert.equal(saved().default, 'alpha');
  });

  it('keeps the config file private to its owner, with no temporary file left beside it', async () => {
    assert.equal(statSync(config()).mode & 0o777, 0o600);
    assert.deepEqual(await fs.readdir(path.dirname(config())), ['config.json']);
  });

  it('refuses a name that is taken by another host, saying to remove it or pick another', () => {
    const run = as(['host', 'add', beta.url, '--name', 'alpha', '--token', betaToken]);
    failsInOneLine(
      run,
      /a host named "alpha" is already in .*; remove it first with: berth host rm alpha, or pick another name with --name NAME$/,
    );
    assert.equal((saved().hosts as Record<string, { url: string }>).alpha?.url, alpha.url);
  });

  it('saves a new token when the same URL is added again under its name', () => {
    const fresh = alpha.token('alice');
    succeeds(as(['host', 'add', alpha.url, '--name', 'alpha', '--token', fresh]));
    assert.deepEqual((saved().hosts as Record<string, unknown>).alpha, { url: alpha.url, token: fresh });
    alphaToken = fresh;
  });

  it('refuses a URL whose token the agent does not accept, saving nothing', () => {
    failsInOneLine(as(['host', 'add', beta.url, '--name', 'gamma', '--token', 'wrong']), /token/);
    assert.deepEqual(Object.keys(saved().hosts), ['alpha', 'beta']);
  });

  it('reaches the default host without --host', () => {
    assert.equal(whoAnswers(), 'alice');
  });

  it('reaches the host --host names', () => {
    assert.equal(whoAnswers(['--host', 'beta']), 'bob');
  });

  it('reaches the host BERTH_HOST names, with --host over it', () => {
    assert.equal(whoAnswers([], { BERTH_HOST: 'beta' }), 'bob');
    assert.equal(whoAnswers(['--host', 'alpha'], { BERTH_HOST: 'beta' }), 'alice');
  });

  it('takes --url/--token over --host, and --host over BERTH_URL/BERTH_TOKEN over the default', () => {
    assert.equal(whoAnswers(['--host', 'beta', '--url', alpha.url, '--token', alphaToken]), 'alice');
    assert.equal(whoAnswers(['--host', 'beta'], { BERTH_URL: alpha.url, BERTH_TOKEN: alphaToken }), 'bob');
    assert.equal(whoAnswers([], { BERTH_URL: alpha.url, BERTH_TOKEN: alphaToken, BERTH_HOST: 'beta' }), 'alice');
  });

  it('says in the help of client commands how to pick the host', () => {
    assert.match(succeeds(as(['ls', '--help'])), /^agent: --host NAME \(or BERTH_HOST; default: berth host ls\)/m);
  });

  it('refuses an unknown host in one line listing the known ones', () => {
    failsInOneLine(
      as(['ls', '--host', 'gamma']),
      /^berth ls: no host named "gamma" in \S+ \(known hosts: alpha, beta\)$/,
    );
  });

  it('lists the hosts with the default marked, and never prints a token', () => {
    const table = succeeds(as(['host', 'ls']));
    assert.deepEqual(table.trimEnd().split('\n'), [
      'NAME   DEFAULT  TARGET',
      `alpha  *        ${alpha.url}`,
      `beta            ${beta.url}`,
    ]);
    const json = succeeds(as(['host', 'ls', '--json']));
    assert.deepEqual(JSON.parse(json), [
      { name: 'alpha', default: true, url: alpha.url, hasToken: true },
      { name: 'beta', default: false, url: beta.url, hasToken: true },
    ]);
    for (const out of [table, json]) {
      assert.ok(!out.includes(alphaToken) && !out.includes(betaToken), 'no token printed');
    }
  });

  it('changes the default with berth host use', () => {
    assert.equal(succeeds(as(['host', 'use', 'beta'])), 'beta is now the default host\n');
    assert.equal(saved().default, 'beta');
    assert.equal(whoAnswers(), 'bob');
    failsInOneLine(as(['host', 'use', 'gamma']), /no host named "gamma" .*known hosts: alpha, beta/);
  });

  it('forgets the default among several without making another host the default', () => {
    succeeds(as(['host', 'add', beta.url, '--name', 'gamma', '--token', betaToken]));
    succeeds(as(['host', 'use', 'gamma']));
    assert.equal(
      succeeds(as(['host', 'rm', 'gamma'])),
      'removed gamma, the default host; pick another with: berth host use NAME (known hosts: alpha, beta)\n',
    );
    assert.equal(saved().default, undefined);
    failsInOneLine(
      as(['ls']),
      /several hosts and no default .*pass --host NAME or pick one with: berth host use NAME$/,
    );
    succeeds(as(['host', 'use', 'beta']));
  });

  it('saves every host when several are added at once from different shells', async () => {
    const names = ['c1', 'c2', 'c3', 'c4'];
    const runs = names.map((name) =>
      startBerth(['host', 'add', beta.url, '--name', name, '--token', betaToken], { ...env }),
    );
    const exits = await Promise.all(runs.map((run) => run.exited));
    assert.deepEqual(
      exits.map((exit) => exit.code),
      [0, 0, 0, 0],
      runs.map((run) => run.stderr()).join(''),
    );
    assert.deepEqual(Object.keys(saved().hosts).sort(), ['alpha', 'beta', ...names]);
    for (const name of names) succeeds(as(['host', 'rm', name]));
    assert.deepEqual(Object.keys(saved().hosts), ['alpha', 'beta']);
  });

  it('leaves a broken config file as it is, saying which file and what to do', () => {
    const good = readFileSync(config(), 'utf8');
    writeFileSync(config(), '{"default": "alpha", "hosts": {');
    failsInOneLine(
      as(['host', 'use', 'alpha']),
      /config\.json is not valid JSON .*; restore it from a backup or move it away$/,
    );
    failsInOneLine(as(['host', 'add', beta.url, '--name', 'c1', '--token', betaToken]), /is not valid JSON/);
    assert.equal(readFileSync(config(), 'utf8'), '{"default": "alpha", "hosts": {');
    writeFileSync(config(), good);
  });

  it('keeps what it does not know in the config file, and lists none of it', () => {
    const good = readFileSync(config(), 'utf8');
    const file = JSON.parse(good) as { hosts: Record<string, Record<string, unknown>> };
    file.hosts.beta!.sessionSecret = 'kept-secret';
    writeFileSync(config(), JSON.stringify({ ...file, theme: 'dark' }));
    succeeds(as(['host', 'use', 'beta']));
    const after = JSON.parse(readFileSync(config(), 'utf8')) as typeof file & { theme?: string };
    assert.equal(after.theme, 'dark');
    assert.equal(after.hosts.beta?.sessionSecret, 'kept-secret');
    const listed = succeeds(as(['host', 'ls', '--json']));
    assert.ok(!listed.includes('kept-secret'), `nothing unknown printed:\n${listed}`);
    writeFileSync(config(), good);
  });

  it('forgets a host with berth host rm; the default passes to the one left', () => {
    assert.equal(succeeds(as(['host', 'rm', 'beta'])), 'removed beta; alpha is now the default host\n');
    assert.deepEqual(saved(), { default: 'alpha', hosts: { alpha: { url: alpha.url, token: alphaToken } } });
    assert.equal(whoAnswers(), 'alice');
    failsInOneLine(as(['ls', '--host', 'beta']), /no host named "beta" .*\(known hosts: alpha\)$/);
  });

  it('still reads the old one-host file, and saves it in the new form on the next change', () => {
    const identity = path.join(env.HOME!, 'id_ed25519');
    writeFileSync(config(), JSON.stringify({ url: alpha.url, token: alphaToken, identity }), { mode: 0o644 });
    assert.equal(whoAnswers(), 'alice');
    assert.equal(whoAnswers(['--host', 'local']), 'alice', 'the old host is named "local"');
    succeeds(as(['host', 'add', beta.url, '--name', 'beta', '--token', betaToken]));
    assert.deepEqual(saved(), {
      default: 'local',
      hosts: {
        local: { url: alpha.url, token: alphaToken, identity },
        beta: { url: beta.url, token: betaToken },
      },
    });
    assert.equal(statSync(config()).mode & 0o777, 0o600, 'the rewritten file is private');
    assert.equal(whoAnswers(['--host', 'beta']), 'bob');
  });
});
