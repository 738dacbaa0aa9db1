import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BerthError } from '../../../protocol';
import { AGENT_VERSION } from '../../version';
import { ownError } from '../../../extension/remote/own-error';
import { UsageError, numberOption, parse, positionals } from '../args';
import type { Command } from '../command';
import { loadSsh, sessionOptions, type SshHostSettings } from '../remote';
import { configFile } from '../settings';

const usage = 'berth host add [-F SSH_CONFIG] [--agent-port PORT] [--ports FIRST-LAST] USER@HOST[:PORT]|ALIAS';

/**
 * `berth host add`: makes a compute host reachable with nothing but SSH access. Over the user's own
 * SSH (ssh-agent or keys, ~/.ssh/config, known_hosts) it installs this very `berth` on the host (or
 * upgrades it), starts the agent there on loopback, mints a token, and saves the host in the config
 * file: later commands reach the agent through an SSH tunnel.
 */
export const host: Command = {
  name: 'host',
  summary: 'add a compute host reached over SSH (installs and starts its agent)',
  usage,
  async run(argv) {
    const options = {
      F: { type: 'string', short: 'F' },
      'agent-port': { type: 'string' },
      ports: { type: 'string' },
    } as const;
    const { values, positionals: rest } = parse(argv, options, usage);
    const [action = '', spec = ''] = positionals(rest, ['add', 'USER@HOST'], usage);
    if (action !== 'add') throw new UsageError(`unknown action "${action}"`, usage);
    const port = numberOption('agent-port', values['agent-port'], usage, true);
    if (!__filename.endsWith('.js')) {
      throw new BerthError('internal', 'berth host add uploads the built bundle: run dist/berth.js (npm run build)');
    }
    const ssh = loadSsh();
    const sshConfig = values.F ? path.resolve(values.F) : undefined;
    const opts = sessionOptions(ssh, sshConfig);
    const session = await ssh.SshSession.open(opts.resolve(spec), opts).catch((err: unknown) => {
      throw ownError(err);
    });
    try {
      const bundle = {
        file: __filename,
        version: AGENT_VERSION,
        ...(port ? { port } : {}),
        ...(values.ports ? { serveArgs: ['--ports', values.ports] } : {}),
      };
      const agent = await ssh.ensureAgent(session, bundle).catch((err: unknown) => {
        throw ownError(err);
      });
      const token = await ssh.mintToken(session, agent).catch((err: unknown) => {
        throw ownError(err);
      });
      const saved: SshHostSettings = { spec, port: agent.port, ...(sshConfig ? { configFile: sshConfig } : {}) };
      await saveHost(saved, token);
      process.stdout.write(
        `${spec}: agent ${agent.build} ${agent.action} (127.0.0.1:${agent.port} there, node ${agent.node}); saved in ${configFile()}\n`,
      );
    } finally {
      session.close();
    }
    return 0;
  },
};

/** Saves the host (and its token) in the config file, keeping what else is there; the file stays private. */
async function saveHost(ssh: SshHostSettings, token: string): Promise<void> {
  const file = configFile();
  const current = JSON.parse(await fs.readFile(file, 'utf8').catch(() => '{}')) as Record<string, unknown>;
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await fs.writeFile(file, `${JSON.stringify({ ...current, ssh, token }, null, 2)}\n`, { mode: 0o600 });
  // The mode above applies only to a new file: one that was there now holds a token too.
  await fs.chmod(file, 0o600);
}
