import { startAgent } from '../../agent';
import { defaultConfig, type AgentConfig } from '../../config';
import { createLogger } from '../../util/log';
import { parsePortRange } from '../../workspaces/ports';
import { UsageError, numberOption, parse, positionals } from '../args';
import type { Command } from '../command';

const usage =
  'berth serve [--listen HOST:PORT] [--state-dir DIR] [--ports FIRST-LAST] [--image IMG] [--docker-socket PATH] [--ssh-timeout SECONDS] [--quiet]';

/** Builds the agent's configuration from `berth serve` flags on top of the defaults. */
export function serveConfig(argv: string[]): { config: AgentConfig; quiet: boolean } {
  const options = {
    listen: { type: 'string' },
    'state-dir': { type: 'string' },
    ports: { type: 'string' },
    image: { type: 'string' },
    'docker-socket': { type: 'string' },
    'ssh-timeout': { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  } as const;
  const { values, positionals: rest } = parse(argv, options, usage);
  positionals(rest, [], usage);
  const config = defaultConfig();
  if (values.listen) {
    const match = /^(.+):(\d+)$/.exec(values.listen);
    if (!match) throw new UsageError(`--listen ${values.listen}: expected HOST:PORT such as 127.0.0.1:7420`, usage);
    config.listen = { host: match[1] ?? '', port: Number(match[2]) };
  }
  if (values['state-dir']) config.stateDir = values['state-dir'];
  if (values.ports) {
    try {
      config.ports = parsePortRange(values.ports);
    } catch (err) {
      throw new UsageError((err as Error).message, usage);
    }
  }
  if (values.image) config.defaults.image = values.image;
  if (values['docker-socket']) config.dockerSocket = values['docker-socket'];
  const timeout = numberOption('ssh-timeout', values['ssh-timeout'], usage);
  if (timeout !== undefined) config.sshReadyTimeoutMs = timeout * 1000;
  return { config, quiet: values.quiet ?? false };
}

/** `berth serve`: runs the agent until SIGINT/SIGTERM. */
export const serve: Command = {
  name: 'serve',
  summary: 'run the agent on this compute host',
  usage,
  async run(argv) {
    const { config, quiet } = serveConfig(argv);
    const log = createLogger(quiet);
    const agent = await startAgent(config, log);
    await new Promise<void>((resolve) => {
      const shutdown = (signal: string) => {
        log.info(`${signal}: shutting down`);
        void agent.stop().finally(resolve);
      };
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
    });
    return 0;
  },
};
