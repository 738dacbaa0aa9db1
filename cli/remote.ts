import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { BerthError } from '../protocol';
import { ownError } from '../client/own-error';
import type { SshModule } from '../client/remote-host';
import type { SessionOptions, UnknownHostKey } from '../client/ssh/session';
import { AgentClient } from '../client/agent-client';
import { defaultHostName, type SshHostSettings } from './hosts';

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

/** How the CLI opens SSH sessions: the user's ssh-agent, keys and known_hosts; host keys asked on the terminal. */
export function sessionOptions(ssh: SshModule, configFile: string | undefined): SessionOptions {
  return {
    resolve: (spec) => ssh.resolveTarget(spec, configFile ? { configFile } : {}),
    confirmHostKey: confirmOnTerminal,
  };
}

/**
 * A protocol client to the agent of an SSH host (`name` in the config file): its WebSocket runs in a
 * channel of one SSH session to the agent's loopback port. Closing the client closes the session.
 */
export async function connectOverSsh(host: SshHostSettings, token: string, name?: string): Promise<AgentClient> {
  const ssh = loadSsh();
  const options = sessionOptions(ssh, host.configFile);
  const session = await ssh.SshSession.open(options.resolve(host.spec), options).catch((err: unknown) => {
    throw ownError(err);
  });
  let refused: Error | null = null;
  const stream = () =>
    session.channel('127.0.0.1', host.port).catch((err: unknown) => {
      refused = ownError(err);
      throw refused;
    });
  try {
    const client = await AgentClient.connect(`ws://127.0.0.1:${host.port}`, token, 'berth-cli', undefined, { stream });
    client.onClose(() => session.close());
    return client;
  } catch (err) {
    session.close();
    if (!refused) throw ownError(err);
    // Nothing listens on the agent's port there (the host rebooted, say): `berth host add` starts it.
    const named = name && name !== defaultHostName({ ssh: host }) ? ` --name ${name}` : '';
    const again = `berth host add ${host.configFile ? `-F ${host.configFile} ` : ''}${host.spec}${named}`;
    throw new BerthError(
      'internal',
      `the Berth agent on ${host.spec} does not answer on 127.0.0.1:${host.port} there (${(refused as Error).message}); start it again with: ${again}`,
    );
  }
}
