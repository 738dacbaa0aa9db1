import * as assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import * as http from 'node:http';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { capacityLabel } from '../../extension/hosts/capacity';
import type { HostConnection } from '../../extension/hosts/connection';
import type { HostStatus } from '../../extension/hosts/host';
import { RemoteHost, type RemoteHostOptions, type SshModule } from '../../client/remote-host';
import { sshHostConnection } from '../../extension/hosts/ssh-connection';
import type { UnknownHostKey } from '../../client/ssh';
import { renderKnownHosts, renderManagedConfig } from '../../extension/ssh-config/config-text';
import { hostNode } from '../../extension/tree/model';
import { BerthError, type Workspace } from '../../protocol';
import { AgentProcess, BERTH, freePort, sshPortRange } from '../support/agent-process';
import { watchConnection } from '../support/host-connection';
import { sshKeyPair } from '../support/ssh';
import {
  CLIENT_KEY,
  REMOTE_HOME,
  TEST_SSHD_PORT,
  alive,
  remotePid,
  resetRemote,
  setUpTestSshd,
  stopRemoteAgent,
} from '../support/remote-host';
import { TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait';

const execFileAsync = promisify(execFile);
/** The SSH code as the extension loads it: the built dist/remote.js (ssh2 without its native parts). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ssh = require(path.resolve(__dirname, '..', '..', 'dist', 'remote.js')) as SshModule;
const { ensureAgent, resolveTarget } = ssh;

describe('remote: a compute host reached only over SSH', function () {
  this.timeout(180_000);
  let dir: string;
  let configFile: string;
  let knownHosts: string;
  let changedKnownHosts: string;
  let freshKnownHosts: string;
  /** The private key authorized for the workspace made through the tunnel. */
  let workspaceKey: string;
  let proxy: TcpProxy;
  let options: RemoteHostOptions;
  const asked: UnknownHostKey[] = [];
  const remotes: RemoteHost[] = [];
  const connections: HostConnection[] = [];

  /** A RemoteHost for `spec`, closed after the suite. */
  const remote = (spec: string, extra: Partial<RemoteHostOptions> = {}) => {
    const host = new RemoteHost(spec, { ...options, ...extra });
    remotes.push(host);
    return host;
  };

  /** A HostConnection to `lab` over SSH as the extension makes one (token minted over SSH), connected. */
  const sshConnection = async (id: string, extra: Partial<RemoteHostOptions> = {}) => {
    let token: string | undefined;
    const connection = sshHostConnection({ id, label: 'lab', url: 'ssh://lab', ssh: 'lab' }, remote('lab', extra), {
      get: () => Promise.resolve(token),
      set: (value) => Promise.resolve(void (token = value)),
    });
    connections.push(connection);
    connection.connect();
    await waitFor('the SSH host to connect', () => connection.status.kind === 'connected', 60_000);
    return connection;
  };

  /**
   * Ends every connection so far and stops the host's agent. Those connections would restart the
   * agent themselves, and some may be restarting it right now: they are disposed (no new attempt)
   * and their attempts under way are let finish (closing one mid-install would leave its lock).
   */
  const noAgentNorClients = async () => {
    for (const connection of connections) connection.dispose();
    await waitFor('earlier connects to settle', () => remotes.every((host) => !host.settingUp), 60_000);
    await stopRemoteAgent();
  };

  before(async function () {
    const problem = setUpTestSshd();
    if (problem) {
      console.log(`    skipped: the test sshd could not be set up: ${problem}`);
      this.skip();
    }
    await resetRemote();
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-remote-'));
    proxy = await TcpProxy.start(TEST_SSHD_PORT);
    knownHosts = path.join(dir, 'known_hosts');
    changedKnownHosts = path.join(dir, 'changed_known_hosts');
    freshKnownHosts = path.join(dir, 'fresh_known_hosts');
    configFile = path.join(dir, 'ssh_config');
    // The user's SSH config: an alias through the cuttable proxy, and the Node-less account.
    writeFileSync(
      configFile,
      [
        'Host lab',
        '  HostName 127.0.0.1',
        `  Port ${proxy.port}`,
        '  User berthremote',
        `  IdentityFile ${CLIENT_KEY}`,
        `  UserKnownHostsFile ${knownHosts}`,
        'Host nonode',
        '  HostName 127.0.0.1',
        '  Port 2222',
        '  User berthnonode',
        `  IdentityFile ${CLIENT_KEY}`,
        `  UserKnownHostsFile ${knownHosts}`,
        'Host changed',
        '  HostName 127.0.0.1',
        '  Port 2222',
        '  User berthremote',
        `  IdentityFile ${CLIENT_KEY}`,
        `  UserKnownHostsFile ${changedKnownHosts}`,
        'Host fresh',
        '  HostName 127.0.0.1',
        '  Port 2222',
        '  User berthremote',
        `  IdentityFile ${CLIENT_KEY}`,
        `  UserKnownHostsFile ${freshKnownHosts}`,
        '',
      ].join('\n'),
    );
    const ports = sshPortRange(10);
    options = {
      ssh,
      bundle: {
        file: BERTH,
        version: '0.1.0',
        port: await freePort(),
        serveArgs: ['--ports', `${ports.first}-${ports.last}`],
      },
      resolve: { configFile },
      agentSocket: undefined,
      confirmHostKey: (key) => {
        asked.push(key);
        return Promise.resolve(true);
      },
    };
  });

  after(async () => {
    for (const connection of connections) connection.dispose();
    for (const host of remotes) host.close();
    void proxy?.close();
    if (options) await resetRemote();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads user, port, key and known_hosts of an alias from the SSH config', () => {
    const target = resolveTarget('lab', { configFile });
    assert.deepEqual(
      { host: target.hostName, port: target.port, user: target.user, keys: target.identityFiles },
      { host: '127.0.0.1', port: proxy.port, user: 'berthremote', keys: [CLIENT_KEY] },
    );
    assert.equal(resolveTarget('alice@lab:2200', { configFile }).user, 'alice');
    assert.equal(resolveTarget('alice@lab:2200', { configFile }).port, 2200);
  });

  it('first connect asks about the unknown host key, installs and starts the agent', async () => {
    const host = remote('lab');
    const { agent } = await host.ready();
    assert.equal(agent.action, 'installed');
    assert.equal(asked.length, 1, 'the unknown host key was put to the user once');
    assert.match(asked[0]?.fingerprint ?? '', /^SHA256:/);
    assert.match(readFileSync(knownHosts, 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${proxy.port} ssh-ed25519 `));
    assert.ok(existsSync(path.join(REMOTE_HOME, `.local/share/berth/${agent.build}/berth.js`)));
    assert.ok(alive(remotePid()), 'the agent runs on the host');
    const client = await host.connect(await host.mintToken(), 'berth-tests');
    assert.equal(client.welcome.user.name, 'berthremote');
    client.close();
    // The token says where it was made, for `berth token ls` on the host.
    const tokens = await berth('token', 'ls', '--json', '--state-dir', path.join(REMOTE_HOME, '.local/state/berth'));
    const labels = (JSON.parse(tokens.stdout) as { label: string | null }[]).map((token) => token.label);
    assert.deepEqual(labels, [`VS Code on ${os.hostname()}`]);
  });

  it('a second connect reuses the running agent without asking again', async () => {
    const pid = remotePid();
    const { agent } = await remote('lab').ready();
    assert.equal(agent.action, 'reused');
    assert.equal(remotePid(), pid);
    assert.equal(asked.length, 1);
  });

  it('a version change uploads the new bundle and restarts the agent on it', async () => {
    const oldPid = remotePid();
    const bundle = path.join(dir, 'berth.js');
    const text = readFileSync(BERTH, 'utf8');
    assert.equal(text.split('"0.1.0"').length, 2, 'the bundle holds its version once');
    writeFileSync(bundle, text.replace('"0.1.0"', '"0.1.1-test"'));
    const host = remote('lab', { bundle: { ...options.bundle, file: bundle, version: '0.1.1-test' } });
    const { agent } = await host.ready();
    assert.equal(agent.action, 'upgraded');
    assert.match(agent.build, /^0\.1\.1-test-/);
    assert.ok(!alive(oldPid), 'the old agent is stopped');
    const builds = readdirSync(path.join(REMOTE_HOME, '.local/share/berth'), { withFileTypes: true });
    assert.deepEqual(
      builds.filter((entry) => entry.isDirectory()).map((entry) => entry.name),
      [agent.build],
      'only the running build is kept',
    );
    const client = await host.connect(await host.mintToken(), 'berth-tests');
    assert.equal(client.welcome.agentVersion, '0.1.1-test');
    client.close();
  });

  it('an older client reuses a newer agent of its protocol instead of downgrading it', async () => {
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
    const pid = remotePid();
    // A future agent cannot be built here: this stand-in is installed and started like one (`berth.js
    // serve --listen …`) and answers /healthz as one that speaks another protocol would.
    const future = path.join(dir, 'future-berth.js');
    writeFileSync(
      future,
      [
        "const listen = process.argv[process.argv.indexOf('--listen') + 1].split(':');",
        "require('node:http').createServer((req, res) => res.end(JSON.stringify({ ok: true, version: '0.1.1-test', protocol: 99 })))",
        '  .listen(Number(listen[1]), listen[0]);',
      ].join('\n'),
    );
    const installed = await remote('lab', {
      bundle: { ...options.bundle, file: future, version: '0.1.1-test' },
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
    // Back to the bundle under test for what follows: no agent, no build on record.
    await noAgentNorClients();
    rmSync(path.join(REMOTE_HOME, '.local/share/berth/current'));
    assert.equal((await remote('lab').ready()).agent.action, 'installed');
  });

  it('creates a workspace through the tunnel and enters it with stock ssh through ProxyJump', async () => {
    let token: string | undefined;
    const host = remote('lab');
    const connection = sshHostConnection({ id: 'lab', label: 'lab', url: 'ssh://lab', ssh: 'lab' }, host, {
      get: () => Promise.resolve(token),
      set: (value) => Promise.resolve(void (token = value)),
    });
    connections.push(connection);
    connection.connect();
    await waitFor('the SSH host to connect', () => connection.status.kind === 'connected');
    assert.ok(token, 'a token was minted over SSH');
    const key = sshKeyPair();
    workspaceKey = key.privateKey;
    await connection.request('user.addKey', { key: key.publicKey.trim() });
    const { workspace } = await connection.request('workspace.create', { name: 'tunnelled' });
    const ws: Workspace = await waitFor(
      'the workspace to run',
      () => {
        const seen = connection.find('tunnelled');
        return seen?.state === 'running' && seen.ssh.hostKey ? seen : null;
      },
      120_000,
    );
    assert.equal(ws.id, workspace.id);
    // The create wizard's line for this host counts the workspace as taken.
    const info = await connection.request('host.info', {});
    assert.deepEqual(info.allocated, { cpus: ws.spec.cpus, memory: ws.spec.memory });
    assert.match(capacityLabel(info), new RegExp(`^${info.cpus - ws.spec.cpus} of ${info.cpus} CPUs free · `));
    const entry = {
      alias: 'berth.lab.tunnelled',
      hostName: '127.0.0.1',
      port: ws.ssh.port,
      user: ws.ssh.user,
      identityFile: key.privateKey,
      knownHostsFile: path.join(dir, 'berth_known_hosts'),
      hostKey: ws.ssh.hostKey,
      proxyJump: 'berth.lab',
    };
    const managed = path.join(dir, 'berth_config');
    writeFileSync(entry.knownHostsFile, renderKnownHosts([entry]));
    writeFileSync(managed, renderManagedConfig([entry], [host.jumpEntry('berth.lab')]));
    // Asynchronously: the TCP proxy in front of the host's sshd runs in this very process.
    const { stdout } = await execFileAsync(
      'ssh',
      [
        '-F',
        managed,
        '-o',
        'BatchMode=yes',
        '-o',
        'ConnectTimeout=10',
        'berth.lab.tunnelled',
        'echo inside $(hostname)',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.match(stdout, /^inside /);
  });

  /** The CLI; only the config file written by `berth host add` tells it where the agent is. */
  const cliConfig = () => path.join(dir, 'cli.json');
  const berth = (...args: string[]) => {
    const inherited = Object.entries(process.env).filter(([name]) => !name.startsWith('BERTH_'));
    const env = { ...Object.fromEntries(inherited), BERTH_CONFIG: cliConfig() };
    return execFileAsync(process.execPath, [BERTH, ...args], { env, encoding: 'utf8' });
  };

  it('the CLI adds the host over SSH and reaches its workspaces through it', async () => {
    const added = await berth('host', 'add', '-F', configFile, '--agent-port', String(options.bundle.port), 'lab');
    assert.match(added.stdout, /^lab: agent 0\.1\.0-[0-9a-f]{12} reused /);
    const saved = JSON.parse(readFileSync(cliConfig(), 'utf8')) as {
      default: string;
      hosts: Record<string, { ssh: { spec: string }; token: string }>;
    };
    assert.equal(saved.default, 'lab');
    assert.equal(saved.hosts.lab?.ssh.spec, 'lab');
    const { stdout } = await berth('ls', '--json');
    assert.deepEqual(
      (JSON.parse(stdout) as Workspace[]).map((ws) => ws.name),
      ['tunnelled'],
    );
    const inside = await berth('ssh', 'tunnelled', '-i', workspaceKey, '--', '-o', 'BatchMode=yes', 'echo', 'via-cli');
    assert.equal(inside.stdout.trim(), 'via-cli');
    const tokens = await berth('token', 'ls', '--json', '--state-dir', path.join(REMOTE_HOME, '.local/state/berth'));
    const labels = (JSON.parse(tokens.stdout) as { label: string | null }[]).map((token) => token.label);
    assert.ok(labels.includes(`berth CLI on ${os.hostname()}`), labels.join(', '));
  });

  it('keeps several hosts side by side, each with its own connection', async () => {
    const local = await AgentProcess.start();
    try {
      const direct = watchConnection(local.url, local.token('ada'), 'Local');
      connections.push(direct.connection);
      await waitFor('the direct host to connect', () => direct.connection.status.kind === 'connected');
      const lab = connections[0];
      assert.ok(lab && lab.status.kind === 'connected', 'the SSH host stays connected');
      assert.equal(direct.connection.status.kind === 'connected' && direct.connection.status.welcome.user.name, 'ada');
      assert.equal(lab.status.welcome.user.name, 'berthremote');
      assert.ok(lab.find('tunnelled') && !direct.connection.find('tunnelled'), 'each host lists its own workspaces');
    } finally {
      await local.destroy();
    }
  });

  it('survives the tunnel losing its TCP connection, showing the host as reconnecting meanwhile', async () => {
    const connection = connections[0];
    assert.ok(connection && connection.status.kind === 'connected');
    const statuses: HostStatus[] = [];
    connection.onDidChange(() => statuses.push(connection.status));
    const before = proxy.accepted;
    proxy.cut();
    await waitFor('the loss to be noticed', () => statuses.some((s) => s.kind === 'error'));
    const lost = statuses.find((s) => s.kind === 'error');
    assert.ok(lost);
    assert.match(hostNode(connection.host, lost).description, /^reconnecting in \d+ s$/);
    await waitFor('the host to come back', () => connection.status.kind === 'connected', 60_000);
    assert.ok(proxy.accepted > before, 'a new SSH connection was made');
    const { workspaces } = await connection.request('workspace.list', {});
    assert.ok(workspaces.some((ws) => ws.name === 'tunnelled'));
    await connection.request('workspace.delete', { name: 'tunnelled', deleteData: true });
  });

  it('starts the agent again when it died on the host, over the same SSH connection', async () => {
    const connection = await sshConnection('lab-crash');
    const accepted = proxy.accepted;
    const pid = remotePid();
    spawnSync('kill', ['-9', String(pid)]);
    await waitFor('the loss to be noticed', () => connection.status.kind === 'error');
    await waitFor('the host to come back', () => connection.status.kind === 'connected', 60_000);
    assert.notEqual(remotePid(), pid);
    assert.ok(alive(remotePid()), 'a new agent runs');
    assert.equal(proxy.accepted, accepted, 'no new SSH connection was needed');
    await connection.request('workspace.list', {});
  });

  it('starts one agent when two windows connect at once', async () => {
    await noAgentNorClients();
    const both = await Promise.all([remote('lab').ready(), remote('lab').ready()]);
    assert.deepEqual(both.map(({ agent }) => agent.action).sort(), ['reused', 'started']);
    assert.equal(both[0].agent.port, both[1].agent.port);
    assert.ok(alive(remotePid()));
  });

  it("turns over the agent's log at a start once it has grown past 10 MiB", async () => {
    await noAgentNorClients();
    const log = path.join(REMOTE_HOME, '.local/state/berth/agent.log');
    writeFileSync(log, 'x'.repeat(11 * 1024 * 1024));
    const { agent } = await remote('lab').ready();
    assert.equal(agent.action, 'started');
    assert.equal(statSync(`${log}.1`).size, 11 * 1024 * 1024, 'the old log is kept as agent.log.1');
    assert.ok(statSync(log).size < 1024 * 1024, `the new log is begun anew (${statSync(log).size} bytes)`);
    rmSync(`${log}.1`);
  });

  it('takes over at once the install lock of a connection lost mid-install', async function () {
    // Such a lock used to hold every later connect for a minute and then fail it.
    this.timeout(45_000);
    await noAgentNorClients();
    const lost = remote('lab');
    const { session } = await lost.ready();
    await stopRemoteAgent();
    await ssh.takeInstallLock(session);
    const holderFile = path.join(REMOTE_HOME, '.local/share/berth/.lock/holder');
    const holder = Number(readFileSync(holderFile, 'utf8').split(' ')[0]);
    assert.ok(alive(holder), `the lock names the live sshd of the connection (${holder})`);
    proxy.cut();
    lost.close();
    await waitFor('the lost connection to end on the host', () => !alive(holder));
    const { agent } = await remote('lab').ready();
    assert.equal(agent.action, 'started');
    assert.ok(alive(remotePid()));
    assert.ok(!existsSync(path.dirname(holderFile)), 'the lock is released');
  });

  it('notices a tunnel that goes silent (a laptop asleep) by its keepalives, and reconnects', async () => {
    // Keepalives every 300 ms instead of 15 s, so that three missed ones take a second, not a minute.
    const connection = await sshConnection('lab-silent', { keepaliveMs: 300 });
    const statuses: HostStatus[] = [];
    connection.onDidChange(() => statuses.push(connection.status));
    proxy.freeze();
    await waitFor('the silence to be noticed', () => statuses.some((s) => s.kind === 'error'), 20_000);
    await waitFor('the host to come back', () => connection.status.kind === 'connected', 60_000);
    const { workspaces } = await connection.request('workspace.list', {});
    assert.ok(Array.isArray(workspaces));
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

  it('refuses a changed host key without asking', async () => {
    // The user's known_hosts for this alias holds another ed25519 key for [127.0.0.1]:2222.
    const other = sshKeyPair().publicKey.split(' ').slice(0, 2).join(' ');
    writeFileSync(changedKnownHosts, `[127.0.0.1]:2222 ${other}\n`);
    const askedBefore = asked.length;
    await assert.rejects(remote('changed').ready(), (err: unknown) => {
      assert.ok(err instanceof BerthError);
      assert.equal(err.code, 'forbidden');
      assert.match(err.message, /^the host key of \[127\.0\.0\.1\]:2222 has changed \(ssh-ed25519 SHA256:/);
      assert.match(err.message, /ssh-keygen -R '\[127\.0\.0\.1\]:2222'/);
      return true;
    });
    assert.equal(asked.length, askedBefore, 'a changed key is never put to the user');
  });

  it('shows a host whose key changed as failed, without retrying', async () => {
    const connection = sshHostConnection(
      { id: 'changed', label: 'changed', url: 'ssh://changed', ssh: 'changed' },
      remote('changed'),
      { get: () => Promise.resolve(undefined), set: () => Promise.resolve() },
    );
    connections.push(connection);
    connection.connect();
    await waitFor('the refusal', () => connection.status.kind === 'error');
    const { status } = connection;
    assert.ok(status.kind === 'error');
    assert.equal(status.code, 'forbidden');
    assert.match(status.message, /^the host key of \[127\.0\.0\.1\]:2222 has changed/);
    assert.equal(status.retryAt, undefined, 'no retry is planned');
  });

  it('refuses a declined host key, and gives the user longer than the handshake timeout to decide', async () => {
    const decline = () => Promise.resolve(false);
    await assert.rejects(remote('fresh', { confirmHostKey: decline }).ready(), (err: unknown) => {
      assert.ok(err instanceof BerthError);
      assert.equal(err.code, 'forbidden');
      assert.match(err.message, /^the host key of \[127\.0\.0\.1\]:2222 \(SHA256:.*\) was not accepted/);
      return true;
    });
    assert.ok(!existsSync(freshKnownHosts), 'a declined key is not written');
    // A user who is still reading the fingerprint when the handshake's own limit (readyTimeout, 1 s
    // here) has passed: the condition the answer waits on is that time having passed.
    const questions: UnknownHostKey[] = [];
    const slow = async (key: UnknownHostKey) => {
      questions.push(key);
      const asked = Date.now();
      await waitFor('the handshake timeout to pass while the user reads', () => Date.now() - asked > 1_500, 5_000);
      return true;
    };
    const { agent } = await remote('fresh', { confirmHostKey: slow, readyTimeoutMs: 1_000 }).ready();
    assert.equal(agent.port, options.bundle.port);
    assert.equal(questions.length, 1, 'asked once');
    assert.match(readFileSync(freshKnownHosts, 'utf8'), /^\[127\.0\.0\.1\]:2222 ssh-ed25519 /);
  });

  it('installs nothing when the bundle is unchanged (ensureAgent on a live session)', async () => {
    const { session } = await remote('lab').ready();
    assert.equal((await ensureAgent(session, options.bundle)).action, 'reused');
  });

  it('keeps no SSH connection open for a host removed while it was connecting', async () => {
    const open = proxy.open;
    const host = remote('lab');
    const connecting = host.ready();
    host.close();
    await assert.rejects(connecting, /the SSH connection to lab was closed \(the host was removed\)/);
    await waitFor('its SSH connection to close', () => proxy.open === open);
    await assert.rejects(host.ready(), /was closed/);
  });

  it("moves to a free port when its kept port is taken by someone else's server", async () => {
    await noAgentNorClients();
    const kept = options.bundle.port;
    // Another user's agent, as far as /healthz tells.
    const squatter = http.createServer((_req, res) => res.writeHead(200).end('{"ok":true}'));
    await new Promise<void>((resolve) => squatter.listen(kept, '127.0.0.1', resolve));
    try {
      const host = remote('lab', { bundle: { ...options.bundle, port: undefined } });
      const { agent } = await host.ready();
      assert.equal(agent.action, 'started');
      assert.notEqual(agent.port, kept);
      assert.equal(
        readFileSync(path.join(REMOTE_HOME, '.local/share/berth/agent.port'), 'utf8').trim(),
        String(agent.port),
      );
      const client = await host.connect(await host.mintToken(), 'berth-tests');
      assert.equal(client.welcome.user.name, 'berthremote');
      client.close();
    } finally {
      squatter.close();
    }
  });

  it('the CLI says how to start the agent again when nothing answers on its port there', async () => {
    await stopRemoteAgent();
    await assert.rejects(berth('ls'), (err: { stderr: string }) => {
      assert.match(
        err.stderr,
        /the Berth agent on lab does not answer on 127\.0\.0\.1:\d+ there \(.*\); start it again with: berth host add -F \S+ lab/,
      );
      return true;
    });
  });
});
