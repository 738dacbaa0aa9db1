import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { RemoteHost, type RemoteHostOptions, type SshModule } from '../../client/remote-host';
import type { UnknownHostKey } from '../../client/ssh';
import type { HostConnection } from '../../extension/hosts/connection';
import { sshHostConnection } from '../../extension/hosts/ssh-connection';
import { BERTH, freePort, sshPortRange } from './agent-process';
import { CLIENT_KEY, TEST_SSHD_PORT, resetRemote, setUpTestSshd, stopRemoteAgent } from './remote-host';
import { TcpProxy } from './tcp-proxy';
import { waitFor } from './wait';

const execFileAsync = promisify(execFile);

/** The SSH code as the extension loads it: the built dist/remote.js (ssh2 without its native parts). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const ssh = require(path.resolve(__dirname, '..', '..', 'dist', 'remote.js')) as SshModule;

/** A way to the test sshd of its own: a TCP proxy in front of it, and an SSH config whose `lab` goes through it. */
export interface Route {
  proxy: TcpProxy;
  /** `lab` (user berthremote, through `proxy`) and the other aliases of {@link RemoteSuite.configFile}. */
  configFile: string;
  /** RemoteHost options that resolve aliases with `configFile`. */
  options: Partial<RemoteHostOptions>;
}

/** What a suite against the test sshd (this machine as its own remote host) has, from its `before` hook on. */
export class RemoteSuite {
  /** A temp directory of the suite's own, removed after it. */
  dir!: string;
  /** The user's SSH config: `lab` through {@link proxy}; `nonode`, `changed`, `fresh` straight to the sshd. */
  configFile!: string;
  /** The known_hosts of `lab` and `nonode`. */
  knownHosts!: string;
  /** The known_hosts of `changed` (absent until a test writes it). */
  changedKnownHosts!: string;
  /** The known_hosts of `fresh` (absent until a key is accepted for it). */
  freshKnownHosts!: string;
  /** The cuttable proxy in front of the test sshd that `lab` goes through. */
  proxy!: TcpProxy;
  /**
   * RemoteHost options: the bundle under test (the suite's copy of dist/berth.js, so that a rebuild
   * meanwhile changes no build id) on the suite's agent port, host keys accepted and recorded in `asked`.
   */
  options!: RemoteHostOptions;
  /** Every unknown host key put to the user so far. */
  readonly asked: UnknownHostKey[] = [];

  private readonly remotes: RemoteHost[] = [];
  private readonly connections: HostConnection[] = [];
  private readonly proxies: TcpProxy[] = [];

  /** A RemoteHost for `spec`, closed after the suite. */
  remote = (spec: string, extra: Partial<RemoteHostOptions> = {}): RemoteHost => {
    const host = new RemoteHost(spec, { ...this.options, ...extra });
    this.remotes.push(host);
    return host;
  };

  /** A HostConnection to `lab` over SSH as the extension makes one (token minted over SSH), connected; disposed after the suite. */
  sshConnection = async (id: string, extra: Partial<RemoteHostOptions> = {}): Promise<SshConnection> => {
    let token: string | undefined;
    const connection = sshHostConnection(
      { id, label: 'lab', url: 'ssh://lab', ssh: 'lab' },
      this.remote('lab', extra),
      {
        get: () => Promise.resolve(token),
        set: (value) => Promise.resolve(void (token = value)),
      },
    );
    this.connections.push(connection);
    connection.connect();
    await waitFor('the SSH host to connect', () => connection.status.kind === 'connected', 60_000);
    return { connection, token: () => token };
  };

  /** A route of its own to the test sshd, for a test that cuts or freezes its connections; closed after the suite. */
  route = async (): Promise<Route> => {
    const proxy = await this.startProxy();
    const configFile = path.join(this.dir, `ssh_config_${proxy.port}`);
    writeFileSync(configFile, this.sshConfig(proxy.port));
    return { proxy, configFile, options: { resolve: { configFile } } };
  };

  /**
   * Ends every connection so far and stops the host's agent. Those connections would restart the
   * agent themselves, and some may be restarting it right now: they are disposed (no new attempt)
   * and their attempts under way are let finish (closing one mid-install would leave its lock).
   */
  noAgentNorClients = async (): Promise<void> => {
    for (const connection of this.connections.splice(0)) connection.dispose();
    await waitFor('earlier connects to settle', () => this.remotes.every((host) => !host.settingUp), 60_000);
    await stopRemoteAgent();
  };

  /** As {@link noAgentNorClients}, then closes every RemoteHost, removes the agent and its files from the host, and forgets the host keys of `lab`. */
  reset = async (): Promise<void> => {
    await this.noAgentNorClients();
    for (const host of this.remotes.splice(0)) host.close();
    await resetRemote();
    rmSync(this.knownHosts, { force: true });
    this.asked.length = 0;
  };

  /** Runs the berth CLI (the suite's bundle) with the config file `configName` in {@link dir} and no BERTH_* from this environment. */
  berth = (args: string[], configName = 'cli.json'): Promise<{ stdout: string; stderr: string }> => {
    const inherited = Object.entries(process.env).filter(([name]) => !name.startsWith('BERTH_'));
    const env = { ...Object.fromEntries(inherited), BERTH_CONFIG: path.join(this.dir, configName) };
    return execFileAsync(process.execPath, [this.options.bundle.file, ...args], { env, encoding: 'utf8' });
  };

  /** Sets the suite up in `dir`: files, the proxy of `lab`, the options. */
  async setUp(dir: string): Promise<void> {
    this.dir = dir;
    this.knownHosts = path.join(dir, 'known_hosts');
    this.changedKnownHosts = path.join(dir, 'changed_known_hosts');
    this.freshKnownHosts = path.join(dir, 'fresh_known_hosts');
    this.proxy = await this.startProxy();
    this.configFile = path.join(dir, 'ssh_config');
    writeFileSync(this.configFile, this.sshConfig(this.proxy.port));
    // The CLI loads its SSH code from beside itself.
    const bundle = path.join(dir, 'berth.js');
    copyFileSync(BERTH, bundle);
    copyFileSync(path.join(path.dirname(BERTH), 'remote.js'), path.join(dir, 'remote.js'));
    const ports = sshPortRange(10);
    this.options = {
      ssh,
      bundle: {
        file: bundle,
        version: '0.1.0',
        port: await freePort(),
        serveArgs: ['--ports', `${ports.first}-${ports.last}`],
      },
      resolve: { configFile: this.configFile },
      agentSocket: undefined,
      confirmHostKey: (key) => {
        this.asked.push(key);
        return Promise.resolve(true);
      },
    };
  }

  /** Closes every connection, RemoteHost and proxy the suite made. */
  tearDown(): void {
    for (const connection of this.connections.splice(0)) connection.dispose();
    for (const host of this.remotes.splice(0)) host.close();
    for (const proxy of this.proxies.splice(0)) void proxy.close();
  }

  private async startProxy(): Promise<TcpProxy> {
    const proxy = await TcpProxy.start(TEST_SSHD_PORT);
    this.proxies.push(proxy);
    return proxy;
  }

  /** The test sshd's aliases, `lab` through 127.0.0.1:`labPort`. */
  private sshConfig(labPort: number): string {
    const host = (alias: string, port: number, user: string, knownHosts: string) => [
      `Host ${alias}`,
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      `  User ${user}`,
      `  IdentityFile ${CLIENT_KEY}`,
      `  UserKnownHostsFile ${knownHosts}`,
    ];
    return [
      ...host('lab', labPort, 'berthremote', this.knownHosts),
      // The account without Node.js.
      ...host('nonode', TEST_SSHD_PORT, 'berthnonode', this.knownHosts),
      ...host('changed', TEST_SSHD_PORT, 'berthremote', this.changedKnownHosts),
      ...host('fresh', TEST_SSHD_PORT, 'berthremote', this.freshKnownHosts),
      '',
    ].join('\n');
  }
}

/** A HostConnection over SSH, and the token it minted. */
export interface SshConnection {
  connection: HostConnection;
  token(): string | undefined;
}

/**
 * The test sshd for the enclosing `describe`, set up in a `before` hook (the suite is skipped, saying
 * why, where it cannot be), the host's agent and files removed before the suite and after it, and
 * every RemoteHost, connection and proxy the suite made closed after it. Each suite has its own agent
 * port and SSH port range.
 */
export function useRemoteHost(): RemoteSuite {
  const suite = new RemoteSuite();
  let ready = false;
  before(async function () {
    const problem = setUpTestSshd();
    if (problem) {
      console.log(`    skipped: the test sshd could not be set up: ${problem}`);
      this.skip();
    }
    await resetRemote();
    ready = true;
    await suite.setUp(mkdtempSync(path.join(os.tmpdir(), 'berth-remote-')));
  });
  after(async () => {
    suite.tearDown();
    if (ready) await resetRemote();
    if (suite.dir) rmSync(suite.dir, { recursive: true, force: true });
  });
  return suite;
}
