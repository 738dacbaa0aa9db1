import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BerthError, type Workspace } from '../../protocol';
import { CLIENT_OPTIONS, parse } from '../args';
import { withClient, type Command } from '../command';
import { runPostAttach } from '../devcontainer';
import type { SshHostSettings } from '../hosts';

const usage = 'berth ssh NAME [--identity FILE] [-- COMMAND...]';

/**
 * The `ssh` arguments that enter `workspace`, pinning its host key from `knownHosts`; on a host
 * reached over SSH (`jump`), through that host (`ProxyJump`, with the SSH config it was added with).
 */
export function sshArgs(
  workspace: Workspace,
  knownHosts: string,
  identity: string | undefined,
  jump?: SshHostSettings,
): string[] {
  const args = [
    ...(jump?.configFile ? ['-F', jump.configFile] : []),
    ...(jump ? ['-o', `ProxyJump=${jump.spec}`] : []),
    '-p',
    String(workspace.ssh.port),
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
  ];
  if (identity) args.push('-i', identity, '-o', 'IdentitiesOnly=yes');
  args.push(`${workspace.ssh.user}@${workspace.ssh.host}`);
  return args;
}

/** The public keys ssh offers by default, in its order; the first that exists is the one to add. */
const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519_sk', 'id_rsa'];

/**
 * What to do when the workspace refused every key ssh offered: which public key to register and
 * how (`berth key add FILE.pub`), or how to make one when there is none.
 */
export async function keyAdvice(name: string, identity: string | undefined, host?: string): Promise<string> {
  const onHost = host ? ` --host ${host}` : '';
  const exists = (file: string) =>
    fs.access(file).then(
      () => true,
      () => false,
    );
  let pub: string | undefined;
  if (identity) pub = `${identity}.pub`;
  else {
    for (const key of DEFAULT_KEYS) {
      const file = path.join(os.homedir(), '.ssh', `${key}.pub`);
      if (await exists(file)) {
        pub = file;
        break;
      }
    }
  }
  const lead = `berth ssh: workspace "${name}" refused your SSH key`;
  if (!pub || !(await exists(pub))) {
    const make = identity ? `ssh-keygen -y -f ${identity} > ${identity}.pub` : 'ssh-keygen -t ed25519';
    const file = identity ? `${identity}.pub` : '~/.ssh/id_ed25519.pub';
    return `${lead}; make a public key (${make}), then register it: berth key add${onHost} ${file}`;
  }
  return `${lead}; register it with: berth key add${onHost} ${pub} (berth key ls${onHost} shows the keys it accepts)`;
}

/** `berth ssh NAME`: runs the system ssh into a workspace, with its port, the key and its pinned host key. */
export const ssh: Command = {
  name: 'ssh',
  summary: 'open a shell (or run a command) in a workspace with the system ssh',
  usage,
  async run(argv) {
    const split = argv.indexOf('--');
    const own = split >= 0 ? argv.slice(0, split) : argv;
    const remote = split >= 0 ? argv.slice(split + 1) : [];
    const { values, positionals: rest } = parse(
      own,
      { ...CLIENT_OPTIONS, identity: { type: 'string', short: 'i' } },
      usage,
    );
    const [name, ...extra] = rest;
    if (!name) throw new BerthError('invalid_params', `missing NAME; usage: ${usage}`);
    const { workspace, settings } = await withClient(values, async (client, settings) => {
      const { workspace } = await client.request('workspace.get', { name });
      // Someone is entering it: that is presence (the session itself then counts as attached). An
      // agent too old to know the report must not keep anyone out.
      if (workspace.state === 'running') await client.request('workspace.activity', { name }).catch(() => undefined);
      // devcontainer.json's postAttachCommand: before the session, as the spec runs it on attaching.
      if (workspace.state === 'running') await runPostAttach(client, workspace);
      return { workspace, settings };
    });
    if (workspace.state !== 'running') {
      throw new BerthError('conflict', `workspace "${name}" is ${workspace.state}; start it with: berth start ${name}`);
    }
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-ssh-'));
    try {
      const knownHosts = path.join(dir, 'known_hosts');
      await fs.writeFile(knownHosts, `[${workspace.ssh.host}]:${workspace.ssh.port} ${workspace.ssh.hostKey}\n`);
      const identity = values.identity ?? settings.identity;
      // ssh's own stderr is passed on as it comes, and read for a refused key (prompts go to the tty).
      const child = spawn('ssh', [...sshArgs(workspace, knownHosts, identity, settings.ssh), ...extra, ...remote], {
        stdio: ['inherit', 'inherit', 'pipe'],
      });
      let refused = false;
      let tail = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        process.stderr.write(chunk);
        tail = (tail + chunk.toString()).slice(-4096);
        if (/Permission denied \([^)]*publickey/.test(tail)) refused = true;
      });
      const code = await new Promise<number>((resolve, reject) => {
        child.on('error', (err) =>
          reject(new BerthError('internal', `could not run ssh (${err.message}); install the OpenSSH client`)),
        );
        child.on('close', (exit, signal) => resolve(exit ?? (signal ? 128 : 1)));
      });
      if (code === 255 && refused) process.stderr.write(`${await keyAdvice(name, identity, values.host)}\n`);
      return code;
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  },
};
