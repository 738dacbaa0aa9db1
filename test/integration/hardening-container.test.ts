import * as assert from 'node:assert/strict';
import type { AgentClient } from '../../client/agent-client';
import type { Workspace } from '../../protocol';
import { AgentProcess } from '../support/agent-process';
import { docker, requireDocker } from '../support/docker';
import { sshKeyPair, sshRun } from '../support/ssh';

interface Inspect {
  Config: { Env: string[] };
  HostConfig: {
    NetworkMode: string;
    CapDrop: string[] | null;
    PortBindings: Record<string, { HostIp: string; HostPort: string }[]>;
    LogConfig: { Type: string; Config: Record<string, string> };
    SecurityOpt: string[] | null;
  };
}

const inspect = (workspace: Workspace): Inspect =>
  (JSON.parse(docker('inspect', `berth-${workspace.id}`)) as Inspect[])[0] as Inspect;

/** Capability numbers of linux/capability.h. */
const CAP = { SETGID: 6, SETUID: 7, SETPCAP: 8, NET_BIND_SERVICE: 10, NET_RAW: 13, SYS_CHROOT: 18, MKNOD: 27 };

describe('hardening: what a workspace container may do', function () {
  this.timeout(180_000);
  let agent: AgentProcess;
  let client: AgentClient;
  let workspace: Workspace;
  const key = sshKeyPair();
  const run = (command: string) => {
    const result = sshRun(workspace, key.privateKey, command);
    assert.equal(result.code, 0, `${command}: ${result.stderr}`);
    return result.stdout;
  };

  before(async () => {
    requireDocker();
    agent = await AgentProcess.start();
    client = await agent.connect(agent.token('alice'));
    await client.request('user.addKey', { key: key.publicKey });
    const env = {
      PATH: '/home/dev/bin:/usr/local/bin:/usr/bin:/bin',
      LD_LIBRARY_PATH: '/home/dev/lib',
      TMPDIR: '/home/dev',
    };
    ({ workspace } = await client.request('workspace.create', { name: 'box', env }));
  });

  after(async () => {
    client?.close();
    await agent?.destroy();
  });

  it('joins the Berth network, a bridge where containers cannot reach each other', () => {
    assert.equal(inspect(workspace).HostConfig.NetworkMode, 'berth');
    const [network] = JSON.parse(docker('network', 'inspect', 'berth')) as {
      Driver: string;
      Options: Record<string, string>;
    }[];
    assert.equal(network?.Driver, 'bridge');
    assert.equal(network?.Options['com.docker.network.bridge.enable_icc'], 'false');
  });

  it('publishes sshd on 127.0.0.1 only', () => {
    assert.deepEqual(inspect(workspace).HostConfig.PortBindings, {
      '22/tcp': [{ HostIp: '127.0.0.1', HostPort: String(workspace.ssh.port) }],
    });
  });

  it('runs without NET_RAW, MKNOD and SETPCAP, while ssh and sudo work', () => {
    assert.deepEqual(inspect(workspace).HostConfig.CapDrop, ['NET_RAW', 'MKNOD', 'SETPCAP']);
    const line = run('grep CapBnd /proc/1/status').trim();
    const bounding = BigInt(`0x${line.split(/\s+/)[1] ?? ''}`);
    const has = (cap: number) => (bounding >> BigInt(cap)) & 1n;
    for (const cap of [CAP.NET_RAW, CAP.MKNOD, CAP.SETPCAP]) assert.equal(has(cap), 0n, `capability ${cap} kept`);
    for (const cap of [CAP.SETUID, CAP.SETGID, CAP.SYS_CHROOT, CAP.NET_BIND_SERVICE]) assert.equal(has(cap), 1n);
    assert.equal(run('sudo -n true && sudo -n /usr/bin/id -u'), '0\n');
    // no-new-privileges would make sudo fail ("effective uid is not 0"): it stays off.
    assert.ok(!(inspect(workspace).HostConfig.SecurityOpt ?? []).some((opt) => opt.startsWith('no-new-privileges')));
  });

  it("caps Docker's json-file log where the engine logs with json-file", function () {
    if (docker('info', '--format', '{{.LoggingDriver}}') !== 'json-file') this.skip();
    assert.deepEqual(inspect(workspace).HostConfig.LogConfig, {
      Type: 'json-file',
      Config: { 'max-size': '10m', 'max-file': '3' },
    });
  });
});
