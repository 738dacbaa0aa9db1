import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BerthError } from '../../protocol';
import { REMOTE_HOME, alive, remotePid, stopRemoteAgent } from '../support/remote-host';
import { ssh, useRemoteHost } from '../support/remote-suite';
import { waitFor } from '../support/wait';

const AGENT_ROOT = path.join(REMOTE_HOME, '.local/share/berth');

/**
 * The agent on a host reached only over SSH (this machine's test sshd, user berthremote): installed
 * on the first connect, reused, upgraded but never downgraded, started once for two windows, on a
 * port of its own. Each test starts from a host without an agent, its files or a known host key.
 */
describe('remote: installing and upgrading the agent over SSH', function () {
  this.timeout(180_000);
  const host = useRemoteHost();
  const { remote } = host;

  beforeEach(() => host.reset());

  /** Installs the bundle under test and stops its agent: what a host looks like after a reboot. */
  const installedButStopped = async () => {
    await remote('lab').ready();
    await host.noAgentNorClients();
  };

  /** A copy of the bundle under test that says it is `version`. */
  const bundleOf = (version: string) => {
    const file = path.join(host.dir, `berth-${version}.js`);
    const text = readFileSync(host.options.bundle.file, 'utf8');
    assert.equal(text.split('"0.1.0"').length, 2, 'the bundle holds its version once');
    writeFileSync(file, text.replace('"0.1.0"', `"${version}"`));
    return { ...host.options.bundle, file, version };
  };

  it('first connect asks about the unknown host key, installs and starts the agent', async () => {
    const lab = remote('lab');
    const { agent } = await lab.ready();
    assert.equal(agent.action, 'installed');
    assert.equal(host.asked.length, 1, 'the unknown host key was put to the user once');
    assert.match(host.asked[0]?.fingerprint ?? '', /^SHA256:/);
    const knownHosts = readFileSync(host.knownHosts, 'utf8');
    assert.match(knownHosts, new RegExp(`^\\[127\\.0\\.0\\.1\\]:${host.proxy.port} ssh-ed25519 `));
    assert.ok(existsSync(path.join(AGENT_ROOT, agent.build, 'berth.js')));
    assert.ok(alive(remotePid()), 'the agent runs on the host');
    const client = await lab.connect(await lab.mintToken(), 'berth-tests');
    assert.equal(client.welcome.user.name, 'berthremote');
    client.close();
    // The token says where it was made, for `berth token ls` on the host.
    const tokens = await host.berth([
      'token',
      'ls',
      '--json',
      '--state-dir',
      path.join(REMOTE_HOME, '.local/state/berth'),
    ]);
    const labels = (JSON.parse(tokens.stdout) as { label: string | null }[]).map((token) => token.label);
    assert.deepEqual(labels, [`VS Code on ${os.hostname()}`]);
  });

  it('a second connect reuses the running agent without asking again', async () => {
    await remote('lab').ready();
    const pid = remotePid();
    const { agent } = await remote('lab').ready();
    assert.equal(agent.action, 'reused');
    assert.equal(remotePid(), pid);
    assert.equal(host.asked.length, 1);
  });

  it('a version change uploads the new bundle and restarts the agent on it', async () => {
    await remote('lab').ready();
    const oldPid = remotePid();
    const lab = remote('lab', { bundle: bundleOf('0.1.1-test') });
    const { agent } = await lab.ready();
    assert.equal(agent.action, 'upgraded');
    assert.match(agent.build, /^0\.1\.1-test-/);
    assert.ok(!alive(oldPid), 'the old agent is stopped');
    const builds = readdirSync(AGENT_ROOT, { withFileTypes: true });
    assert.deepEqual(
      builds.filter((entry) => entry.isDirectory()).map((entry) => entry.name),
      [agent.build],
      'only the running build is kept',
    );
    const client = await lab.connect(await lab.mintToken(), 'berth-tests');
    assert.equal(client.welcome.agentVersion, '0.1.1-test');
    client.close();
  });

  it('an older client reuses a newer agent of its protocol instead of downgrading it', async () => {
    await remote('lab', { bundle: bundleOf('0.1.1-test') }).ready();
    const pid = remotePid();
    const older = remote('lab');
    const { agent } = await older.ready();
    assert.equal(agent.action, 'reused');
    assert.match(agent.build, /^0\.1\.1-test-/);
    assert.equal(remotePid(), pid, 'the newer agent goes on running');
    const client = await older.connect(await older.mintToken(), 'berth-tests');
    assert.equal(client.welcome.agentVersion, '0.1.1-test');
    client.close();
  });

  it('an older client of another protocol is told to update itself, and the newer agent is left alone', async () => {
    await remote('lab').ready();
    const pid = remotePid();
    // A future agent cannot be built here: this stand-in is installed and started like one (`berth.js
    // serve --listen …`) and answers /healthz as one that speaks another protocol would.
    const future = path.join(host.dir, 'future-berth.js');
    writeFileSync(
      future,
      [
        "const listen = process.argv[process.argv.indexOf('--listen') + 1].split(':');",
        "require('node:http').createServer((req, res) => res.end(JSON.stringify({ ok: true, version: '0.1.1-test', protocol: 99 })))",
        '  .listen(Number(listen[1]), listen[0]);',
      ].join('\n'),
    );
    const installed = await remote('lab', {
      bundle: { ...host.options.bundle, file: future, version: '0.1.1-test' },
    }).ready();
    assert.equal(installed.agent.action, 'upgraded');
    const started = remotePid();
    await assert.rejects(remote('lab').ready(), (err: unknown) => {
      assert.ok(err instanceof BerthError);
      assert.equal(err.code, 'conflict');
      assert.match(
        err.message,
        /^127\.0\.0\.1 runs a newer Berth agent \(0\.1\.1-test, protocol 99\) than this client \(0\.1\.0, protocol \d+\); update this client/,
      );
      return true;
    });
    assert.ok(alive(started), 'the newer agent goes on running');
    assert.notEqual(started, pid);
  });

  it('starts one agent when two windows connect at once', async () => {
    await installedButStopped();
    const both = await Promise.all([remote('lab').ready(), remote('lab').ready()]);
    assert.deepEqual(both.map(({ agent }) => agent.action).sort(), ['reused', 'started']);
    assert.equal(both[0].agent.port, both[1].agent.port);
    assert.ok(alive(remotePid()));
  });

  it("turns over the agent's log at a start once it has grown past 10 MiB", async () => {
    await installedButStopped();
    const log = path.join(REMOTE_HOME, '.local/state/berth/agent.log');
    writeFileSync(log, 'x'.repeat(11 * 1024 * 1024));
    const { agent } = await remote('lab').ready();
    assert.equal(agent.action, 'started');
    assert.equal(statSync(`${log}.1`).size, 11 * 1024 * 1024, 'the old log is kept as agent.log.1');
    assert.ok(statSync(log).size < 1024 * 1024, `the new log is begun anew (${statSync(log).size} bytes)`);
  });

  it('takes over at once the install lock of a connection lost mid-install', async () => {
    // Such a lock used to hold every later connect for a minute and then fail it: a connect that
    // succeeds took it over, as a live holder's lock is waited on for that minute and then refused.
    const lost = remote('lab');
    const { session } = await lost.ready();
    await stopRemoteAgent();
    await ssh.takeInstallLock(session);
    const holderFile = path.join(AGENT_ROOT, '.lock/holder');
    const holder = Number(readFileSync(holderFile, 'utf8').split(' ')[0]);
    assert.ok(alive(holder), `the lock names the live sshd of the connection (${holder})`);
    host.proxy.cut();
    lost.close();
    await waitFor('the lost connection to end on the host', () => !alive(holder));
    const { agent } = await remote('lab').ready();
    assert.equal(agent.action, 'started');
    assert.ok(alive(remotePid()));
    assert.ok(!existsSync(path.dirname(holderFile)), 'the lock is released');
  });

  it('a host without Node.js gets a clear error saying what to install', async () => {
    await assert.rejects(remote('nonode').ready(), (err: unknown) => {
      assert.ok(err instanceof BerthError);
      assert.equal(err.code, 'not_found');
      assert.match(
        err.message,
        /^Berth needs Node\.js 20 or newer on 127\.0\.0\.1; install it \(e\.g\. apt install nodejs\)/,
      );
      return true;
    });
  });

  it('installs nothing when the bundle is unchanged (ensureAgent on a live session)', async () => {
    const { session } = await remote('lab').ready();
    assert.equal((await ssh.ensureAgent(session, host.options.bundle)).action, 'reused');
  });

  it("moves to a free port when its kept port is taken by someone else's server", async () => {
    await installedButStopped();
    const kept = host.options.bundle.port;
    // Another user's agent, as far as /healthz tells.
    const squatter = http.createServer((_req, res) => res.writeHead(200).end('{"ok":true}'));
    await new Promise<void>((resolve) => squatter.listen(kept, '127.0.0.1', resolve));
    try {
      const lab = remote('lab', { bundle: { ...host.options.bundle, port: undefined } });
      const { agent } = await lab.ready();
      assert.equal(agent.action, 'started');
      assert.notEqual(agent.port, kept);
      assert.equal(readFileSync(path.join(AGENT_ROOT, 'agent.port'), 'utf8').trim(), String(agent.port));
      const client = await lab.connect(await lab.mintToken(), 'berth-tests');
      assert.equal(client.welcome.user.name, 'berthremote');
      client.close();
    } finally {
      squatter.close();
    }
  });
});
