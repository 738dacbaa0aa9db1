import * as assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { capacityLabel } from '../../extension/hosts/capacity';
import type { HostConnection } from '../../extension/hosts/connection';
import type { HostStatus } from '../../extension/hosts/host';
import { renderKnownHosts, renderManagedConfig } from '../../extension/ssh-config/config-text';
import { hostNode } from '../../extension/tree/model';
import type { Workspace } from '../../protocol';
import { watchConnection } from '../support/host-connection';
import { CLIENT_KEY, REMOTE_HOME, alive, remotePid } from '../support/remote-host';
import { ssh, useRemoteHost, type SshConnection } from '../support/remote-suite';
import { sshKeyPair } from '../support/ssh';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

const execFileAsync = promisify(execFile);

/**
 * A host reached only over SSH, through the tunnel: a workspace made and entered through it, the CLI
 * on the same host, a direct host beside it, and a tunnel that drops, goes silent or loses its agent.
 * The suite's SSH host connection and workspace are made by the first test that needs them; a test
 * that cuts or freezes connections does it on a route to the host of its own.
 */
describe('remote: the tunnel to a host reached over SSH, and reconnecting it', function () {
  this.timeout(180_000);
  const host = useRemoteHost();
  const local = useAgent();

  let shared: Promise<SshConnection> | undefined;
  /** The suite's HostConnection to `lab` (through the suite's proxy, which no test cuts), connected. */
  const lab = async () => {
    const { connection } = await (shared ??= host.sshConnection('lab'));
    await waitFor('the SSH host to be connected', () => connection.status.kind === 'connected', 60_000);
    return connection;
  };

  let made: Promise<{ workspace: Workspace; privateKey: string }> | undefined;
  /** Workspace `tunnelled`, made over {@link lab} and running, with the private key authorized for it. */
  const tunnelled = () =>
    (made ??= (async () => {
      const connection = await lab();
      const key = sshKeyPair();
      await connection.request('user.addKey', { key: key.publicKey.trim() });
      const { workspace: created } = await connection.request('workspace.create', { name: 'tunnelled' });
      const workspace = await waitFor(
        'the workspace to run, as the connection sees it',
        () => {
          const seen = connection.find('tunnelled');
          return seen?.id === created.id && seen.state === 'running' && seen.ssh.hostKey ? seen : null;
        },
        120_000,
      );
      return { workspace, privateKey: key.privateKey };
    })());

  /** The statuses `connection` goes through from now on. */
  const statusesOf = (connection: HostConnection) => {
    const statuses: HostStatus[] = [];
    connection.onDidChange(() => statuses.push(connection.status));
    return statuses;
  };

  it('reads user, port, key and known_hosts of an alias from the SSH config', () => {
    const { configFile } = host;
    const target = ssh.resolveTarget('lab', { configFile });
    assert.deepEqual(
      { host: target.hostName, port: target.port, user: target.user, keys: target.identityFiles },
      { host: '127.0.0.1', port: host.proxy.port, user: 'berthremote', keys: [CLIENT_KEY] },
    );
    assert.deepEqual(target.knownHostsFiles, [host.knownHosts]);
    assert.equal(ssh.resolveTarget('alice@lab:2200', { configFile }).user, 'alice');
    assert.equal(ssh.resolveTarget('alice@lab:2200', { configFile }).port, 2200);
  });

  it('creates a workspace through the tunnel and enters it with stock ssh through ProxyJump', async () => {
    const { workspace: ws, privateKey } = await tunnelled();
    const connection = await lab();
    assert.match((await shared!).token() ?? '', /^berth_/, 'a token was minted over SSH');
    // The create wizard's line for this host counts the workspace as taken.
    const info = await connection.request('host.info', {});
    assert.deepEqual(info.allocated, { cpus: ws.spec.cpus, memory: ws.spec.memory });
    assert.match(capacityLabel(info), new RegExp(`^${info.cpus - ws.spec.cpus} of ${info.cpus} CPUs free · `));
    const entry = {
      alias: 'berth.lab.tunnelled',
      hostName: '127.0.0.1',
      port: ws.ssh.port,
      user: ws.ssh.user,
      identityFile: privateKey,
      knownHostsFile: path.join(host.dir, 'berth_known_hosts'),
      hostKey: ws.ssh.hostKey,
      proxyJump: 'berth.lab',
    };
    const managed = path.join(host.dir, 'berth_config');
    writeFileSync(entry.knownHostsFile, renderKnownHosts([entry]));
    writeFileSync(managed, renderManagedConfig([entry], [host.remote('lab').jumpEntry('berth.lab')]));
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

  it('the CLI adds the host over SSH and reaches its workspaces through it', async () => {
    const { privateKey } = await tunnelled();
    const added = await host.berth([
      'host',
      'add',
      '-F',
      host.configFile,
      '--agent-port',
      String(host.options.bundle.port),
      'lab',
    ]);
    assert.match(added.stdout, /^lab: agent 0\.1\.0-[0-9a-f]{12} reused /);
    const saved = JSON.parse(readFileSync(path.join(host.dir, 'cli.json'), 'utf8')) as {
      default: string;
      hosts: Record<string, { ssh: { spec: string }; token: string }>;
    };
    assert.equal(saved.default, 'lab');
    assert.equal(saved.hosts.lab?.ssh.spec, 'lab');
    const { stdout } = await host.berth(['ls', '--json']);
    assert.deepEqual(
      (JSON.parse(stdout) as Workspace[]).map((ws) => ws.name),
      ['tunnelled'],
    );
    const inside = await host.berth([
      'ssh',
      'tunnelled',
      '-i',
      privateKey,
      '--',
      '-o',
      'BatchMode=yes',
      'echo',
      'via-cli',
    ]);
    assert.equal(inside.stdout.trim(), 'via-cli');
    const tokens = await host.berth([
      'token',
      'ls',
      '--json',
      '--state-dir',
      path.join(REMOTE_HOME, '.local/state/berth'),
    ]);
    const labels = (JSON.parse(tokens.stdout) as { label: string | null }[]).map((token) => token.label);
    assert.ok(labels.includes(`berth CLI on ${os.hostname()}`), labels.join(', '));
  });

  it('keeps several hosts side by side, each with its own connection', async () => {
    await tunnelled();
    const connection = await lab();
    const direct = watchConnection(local.url, local.token('ada'), 'Local');
    try {
      await waitFor('the direct host to connect', () => direct.connection.status.kind === 'connected');
      assert.equal(connection.status.kind, 'connected', 'the SSH host stays connected');
      assert.equal(direct.connection.status.kind === 'connected' && direct.connection.status.welcome.user.name, 'ada');
      assert.equal(connection.status.kind === 'connected' && connection.status.welcome.user.name, 'berthremote');
      assert.ok(
        connection.find('tunnelled') && !direct.connection.find('tunnelled'),
        'each host lists its own workspaces',
      );
    } finally {
      direct.connection.dispose();
    }
  });

  it('survives the tunnel losing its TCP connection, showing the host as reconnecting meanwhile', async () => {
    await tunnelled();
    const route = await host.route();
    const { connection } = await host.sshConnection('lab-cut', route.options);
    const statuses = statusesOf(connection);
    const before = route.proxy.accepted;
    route.proxy.cut();
    await waitFor('the loss to be noticed', () => statuses.some((s) => s.kind === 'error'));
    const lost = statuses.find((s) => s.kind === 'error');
    assert.ok(lost);
    assert.match(hostNode(connection.host, lost).description, /^reconnecting in \d+ s$/);
    await waitFor('the host to come back', () => connection.status.kind === 'connected', 60_000);
    assert.ok(route.proxy.accepted > before, 'a new SSH connection was made');
    const { workspaces } = await connection.request('workspace.list', {});
    assert.ok(workspaces.some((ws) => ws.name === 'tunnelled'));
  });

  it('starts the agent again when it died on the host, over the same SSH connection', async () => {
    const route = await host.route();
    const { connection } = await host.sshConnection('lab-crash', route.options);
    const accepted = route.proxy.accepted;
    const pid = remotePid();
    spawnSync('kill', ['-9', String(pid)]);
    await waitFor('the loss to be noticed', () => connection.status.kind === 'error');
    await waitFor('the host to come back', () => connection.status.kind === 'connected', 60_000);
    assert.notEqual(remotePid(), pid);
    assert.ok(alive(remotePid()), 'a new agent runs');
    assert.equal(route.proxy.accepted, accepted, 'no new SSH connection was needed');
    await connection.request('workspace.list', {});
  });

  it('notices a tunnel that goes silent (a laptop asleep) by its keepalives, and reconnects', async () => {
    // Keepalives every 300 ms instead of 15 s, so that three missed ones take a second, not a minute.
    const route = await host.route();
    const { connection } = await host.sshConnection('lab-silent', { ...route.options, keepaliveMs: 300 });
    const statuses = statusesOf(connection);
    route.proxy.freeze();
    await waitFor('the silence to be noticed', () => statuses.some((s) => s.kind === 'error'), 20_000);
    await waitFor('the host to come back', () => connection.status.kind === 'connected', 60_000);
    const { workspaces } = await connection.request('workspace.list', {});
    assert.ok(Array.isArray(workspaces));
  });

  it('keeps no SSH connection open for a host removed while it was connecting', async () => {
    const route = await host.route();
    const removed = host.remote('lab', route.options);
    const connecting = removed.ready();
    removed.close();
    await assert.rejects(connecting, /the SSH connection to lab was closed \(the host was removed\)/);
    await waitFor('its SSH connection to close', () => route.proxy.open === 0);
    await assert.rejects(removed.ready(), /was closed/);
  });
});
