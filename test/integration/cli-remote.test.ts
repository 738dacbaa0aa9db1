import * as assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { SshModule } from '../../client/remote-host';
import type { Workspace } from '../../protocol';
import { BERTH, freePort, sshPortRange } from '../support/agent-process';
import {
  CLIENT_KEY,
  REMOTE_HOME,
  TEST_SSHD_PORT,
  remotePid,
  resetRemote,
  setUpTestSshd,
  stopRemoteAgent,
} from '../support/remote-host';

// The CLI reaches an SSH host the way the extension does (client/remote-host.ts): a host whose agent
// is stopped, missing or of another build gets this build on the next command, never an older one.

const execFileAsync = promisify(execFile);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ssh = require(path.resolve(__dirname, '..', '..', 'dist', 'remote.js')) as SshModule;
const AGENT_ROOT = path.join(REMOTE_HOME, '.local/share/berth');

describe('cli: a host reached over SSH is set up on connect, as in the extension', function () {
  this.timeout(180_000);
  let dir: string;
  let sshConfig: string;
  let agentPort: number;
  let ports: { first: number; last: number };

  const berth = (...args: string[]) => {
    const inherited = Object.entries(process.env).filter(([name]) => !name.startsWith('BERTH_'));
    const env = { ...Object.fromEntries(inherited), BERTH_CONFIG: path.join(dir, 'cli.json') };
    return execFileAsync(process.execPath, [BERTH, ...args], { env, encoding: 'utf8' });
  };
  const names = async () => (JSON.parse((await berth('ls', '--json')).stdout) as Workspace[]).map((ws) => ws.name);

  before(async function () {
    const problem = setUpTestSshd();
    if (problem) {
      console.log(`    skipped: the test sshd could not be set up: ${problem}`);
      this.skip();
    }
    await resetRemote();
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-cli-remote-'));
    // The host key is known beforehand, as after a first `ssh lab`: the CLI has no terminal to ask on.
    const knownHosts = path.join(dir, 'known_hosts');
    writeFileSync(
      knownHosts,
      execFileSync('ssh-keyscan', ['-p', String(TEST_SSHD_PORT), '127.0.0.1'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    );
    sshConfig = path.join(dir, 'ssh_config');
    writeFileSync(
      sshConfig,
      [
        'Host lab',
        '  HostName 127.0.0.1',
        `  Port ${TEST_SSHD_PORT}`,
        '  User berthremote',
        `  IdentityFile ${CLIENT_KEY}`,
        `  UserKnownHostsFile ${knownHosts}`,
        '',
      ].join('\n'),
    );
    agentPort = await freePort();
    ports = sshPortRange(5);
  });

  after(async () => {
    if (dir) {
      await resetRemote();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('adds the host, keeping the agent port and the --ports range it was started with', async () => {
    const range = `${ports.first}-${ports.last}`;
    const added = await berth(
      'host',
      'add',
      '-F',
      sshConfig,
      '--agent-port',
      String(agentPort),
      '--ports',
      range,
      'lab',
    );
    assert.match(added.stdout, /^lab: agent 0\.1\.0-[0-9a-f]{12} installed \(127\.0\.0\.1:\d+ there/);
    const saved = JSON.parse(readFileSync(path.join(dir, 'cli.json'), 'utf8')) as {
      hosts: Record<string, { ssh: { spec: string; port: number; ports?: string } }>;
    };
    assert.deepEqual(saved.hosts.lab?.ssh, { spec: 'lab', port: agentPort, configFile: sshConfig, ports: range });
    assert.deepEqual(await names(), []);
  });

  it('starts the agent again when nothing answers on its port there, with the same range', async () => {
    await stopRemoteAgent();
    const listed = await berth('ls', '--json');
    assert.deepEqual(JSON.parse(listed.stdout), []);
    assert.match(listed.stderr, /^berth: agent 0\.1\.0-[0-9a-f]{12} started on lab \(127\.0\.0\.1:\d+ there\)$/m);
    const cmdline = readFileSync(`/proc/${remotePid()}/cmdline`, 'utf8').split('\0');
    assert.deepEqual(cmdline.slice(cmdline.indexOf('--ports'), cmdline.indexOf('--ports') + 2), [
      '--ports',
      `${ports.first}-${ports.last}`,
    ]);
    // Running now: the next command reuses it and says nothing about it.
    const again = await berth('ls', '--json');
    assert.equal(again.stderr, '');
  });

  it('upgrades a host that runs an older build, instead of asking to add it again', async () => {
    await stopRemoteAgent();
    // What an older berth left: its build recorded as the current one.
    writeFileSync(path.join(AGENT_ROOT, 'current'), '0.0.9-0123456789ab\n');
    const listed = await berth('ls', '--json');
    assert.match(listed.stderr, /^berth: agent 0\.1\.0-[0-9a-f]{12} upgraded on lab /m);
    assert.match(readFileSync(path.join(AGENT_ROOT, 'current'), 'utf8'), /^0\.1\.0-[0-9a-f]{12}$/m);
  });

  it('never downgrades a host that runs a newer agent of the same protocol: it uses it', async () => {
    // A newer berth's agent, started there by a newer client.
    const newer = path.join(dir, 'berth-9.9.9.js');
    copyFileSync(BERTH, newer);
    writeFileSync(newer, readFileSync(newer, 'utf8').replace('var AGENT_VERSION="0.1.0"', 'var AGENT_VERSION="9.9.9"'));
    assert.match(readFileSync(newer, 'utf8'), /AGENT_VERSION="9\.9\.9"/);
    const session = await ssh.SshSession.open(ssh.resolveTarget('lab', { configFile: sshConfig }), {
      resolve: (spec) => ssh.resolveTarget(spec, { configFile: sshConfig }),
      confirmHostKey: () => Promise.resolve(false),
    });
    let pid: number;
    try {
      const agent = await ssh.ensureAgent(session, { file: newer, version: '9.9.9', port: agentPort });
      assert.match(agent.build, /^9\.9\.9-/);
      pid = remotePid();
    } finally {
      session.close();
    }
    const listed = await berth('ls', '--json');
    assert.deepEqual(JSON.parse(listed.stdout), []);
    assert.equal(listed.stderr, '', 'nothing installed, upgraded or started');
    assert.equal(remotePid(), pid, 'the newer agent still runs');
    assert.match(readFileSync(path.join(AGENT_ROOT, 'current'), 'utf8'), /^9\.9\.9-/m);
  });
});
