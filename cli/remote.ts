import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { BerthError } from '../protocol';
import type { AgentClient } from '../client/agent-client';
import { RemoteHost, type SshModule } from '../client/remote-host';
import type { UnknownHostKey } from '../client/ssh';
import { AGENT_VERSION } from '../agent/version';
import type { SshHostSettings } from './hosts';

/**
 * The SSH code (ssh2, ssh-config), loaded from dist/remote.js beside this bundle only by the commands
 * that reach a host over SSH: `berth serve` never loads it.
 */
export function loadSsh(): SshModule {
  const file = path.join(__dirname, 'remote.js');
  if (!existsSync(file)) {
    throw new BerthError(
      'internal',
      `the SSH support (${file}) is missing beside berth.js; rebuild with npm run build`,
    );
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as SshModule;
}

/**
 * Asks on the terminal about an unknown host key, as ssh does; without a terminal the key is refused
 * with what to do instead.
 */
async function confirmOnTerminal(key: UnknownHostKey): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new BerthError(
      'forbidden',
      `the host key of ${key.name} (${key.keyType} ${key.fingerprint}) is not in your known_hosts; connect once with ssh to check and add it, then try again`,
    );
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    process.stderr.write(`The authenticity of host ${key.name} can't be established.\n`);
    process.stderr.write(`${key.keyType} key fingerprint is ${key.fingerprint}.\n`);
    const answer = await prompt.question('Are you sure you want to continue connecting (yes/no)? ');
    return answer.trim().toLowerCase() === 'yes';
  } finally {
    prompt.close();
  }
}

/**
 * The host as the extension reaches it too ({@link RemoteHost}): the user's ssh-agent, keys, SSH
 * config and known_hosts, host keys asked on the terminal, and this very `berth` as the agent bundle,
 * so that a host whose agent is missing, stopped or of another build gets this one (never an older
 * one) when it is next used. Port 0 lets the host pick one (and keep it). `announce`: say on stderr
 * when the agent had to be installed, upgraded or started.
 */
export function remoteHost(place: SshHostSettings, { announce = true } = {}): RemoteHost {
  if (!__filename.endsWith('.js')) {
    throw new BerthError(
      'internal',
      'reaching a host over SSH uploads the built bundle: run dist/berth.js (npm run build)',
    );
  }
  const bundle = {
    file: __filename,
    version: AGENT_VERSION,
    ...(place.port ? { port: place.port } : {}),
    ...(place.ports ? { serveArgs: ['--ports', place.ports] } : {}),
  };
  return new RemoteHost(place.spec, {
    ssh: loadSsh(),
    bundle,
    resolve: place.configFile ? { configFile: place.configFile } : {},
    confirmHostKey: confirmOnTerminal,
    onAgent: (agent) => {
      if (!announce || agent.action === 'reused') return;
      process.stderr.write(
        `berth: agent ${agent.build} ${agent.action} on ${place.spec} (127.0.0.1:${agent.port} there)\n`,
      );
    },
  });
}

/**
 * A protocol client to the agent of an SSH host: its WebSocket runs in a channel of one SSH session
 * to the agent's loopback port, and the agent is installed, upgraded or started first when needed.
 * Closing the client closes the session.
 */
export async function connectOverSsh(host: SshHostSettings, token: string): Promise<AgentClient> {
  const remote = remoteHost(host);
  try {
    const client = await remote.connect(token, 'berth-cli');
    client.onClose(() => remote.close());
    return client;
  } catch (err) {
    remote.close();
    throw err;
  }
}
