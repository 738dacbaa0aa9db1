import { startAgent } from '../../agent/agent';
import { defaultConfig, type AgentConfig } from '../../agent/config';
import { IDLE_OPTIONS, IDLE_USAGE, MAX_INTERVAL_SECONDS, applyIdleFlags } from '../idle-flags';
import { ImageRef, MAX_DURATION_SECONDS, UserName, describeIssues } from '../../protocol';
import type { IdleConfig } from '../../agent/idle/settings';
import { createLogger, type Logger } from '../../util/log';
import { parsePortRange } from '../../agent/workspaces/ports';
import { allowedBind } from '../../agent/workspaces/volume-rules';
import { allowedRegistry } from '../../protocol/image-registry';
import { UsageError, numberOption, parse, positionals } from '../args';
import { durationProblem, parseDuration } from '../duration';
import type { Command } from '../command';
import { parseSize } from '../format';

const usage = `berth serve [--listen HOST:PORT] [--state-dir DIR] [--ports FIRST-LAST] [--image IMG] [--docker-socket PATH] [--ssh-timeout DURATION] [--nvidia-smi PATH] [--gpu-mode nvidia|cdi] [--gpu-sharing N] [--gpu-quota N] [--disk-interval DURATION] [--max-build-context SIZE] ${IDLE_USAGE} [--allow-docker] [--allow-docker-for USER]... [--allow-bind PATH[:ro]]... [--allow-pull REGISTRY]... [--trash-keep DURATION] [--archive-after DURATION] [--transfer-stall DURATION] [--quiet]`;

/** Builds the agent's configuration from `berth serve` flags on top of the defaults. */
export function serveConfig(argv: string[]): { config: AgentConfig; quiet: boolean } {
  const options = {
    listen: { type: 'string' },
    'state-dir': { type: 'string' },
    ports: { type: 'string' },
    image: { type: 'string' },
    'docker-socket': { type: 'string' },
    'ssh-timeout': { type: 'string' },
    'nvidia-smi': { type: 'string' },
    'gpu-mode': { type: 'string' },
    'gpu-sharing': { type: 'string' },
    'gpu-quota': { type: 'string' },
    'disk-interval': { type: 'string' },
    'max-build-context': { type: 'string' },
    ...IDLE_OPTIONS,
    'allow-docker': { type: 'boolean' },
    'allow-docker-for': { type: 'string', multiple: true },
    'allow-bind': { type: 'string', multiple: true },
    'allow-pull': { type: 'string', multiple: true },
    'trash-keep': { type: 'string' },
    'archive-after': { type: 'string' },
    'transfer-stall': { type: 'string' },
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
  if (values.image) {
    const image = ImageRef.safeParse(values.image);
    if (!image.success) throw new UsageError(`--image ${values.image}: ${describeIssues(image.error)}`, usage);
    config.defaults.image = image.data;
  }
  if (values['docker-socket']) config.dockerSocket = values['docker-socket'];
  if (values['ssh-timeout'] !== undefined) {
    const seconds = parseDuration(values['ssh-timeout']);
    if (seconds === null || seconds < 1) {
      const problem = seconds === null ? durationProblem(values['ssh-timeout']) : 'expected at least 1s';
      throw new UsageError(`--ssh-timeout ${values['ssh-timeout']}: ${problem}`, usage);
    }
    config.sshReadyTimeoutMs = seconds * 1000;
  }
  gpuFlags(config, values, usage);
  if (values['disk-interval'] !== undefined) {
    const seconds = parseDuration(values['disk-interval']);
    if (seconds === null) {
      throw new UsageError(
        `--disk-interval ${values['disk-interval']}: ${durationProblem(values['disk-interval'])}`,
        usage,
      );
    }
    if (seconds < 1 || seconds > MAX_INTERVAL_SECONDS) {
      throw new UsageError(
        `--disk-interval ${values['disk-interval']}: expected a duration from 1s to 1d, such as 5m or 30s`,
        usage,
      );
    }
    config.diskIntervalMs = seconds * 1000;
  }
  if (values['max-build-context'] !== undefined) {
    const size = parseSize(values['max-build-context']);
    if (size === null || size < 1) {
      throw new UsageError(
        `--max-build-context ${values['max-build-context']}: expected a size such as 2g or 500m`,
        usage,
      );
    }
    config.maxBuildContextBytes = size;
  }
  if (values['allow-docker']) config.allowDocker = true;
  config.allowDockerFor = (values['allow-docker-for'] ?? []).map((user) => {
    const parsed = UserName.safeParse(user);
    if (!parsed.success) {
      throw new UsageError(`--allow-docker-for ${user}: ${describeIssues(parsed.error)}; give a user name`, usage);
    }
    return parsed.data;
  });
  config.allowBinds = (values['allow-bind'] ?? []).map((text) =>
    allowedBind(text, (why) => new UsageError(`--allow-bind ${text}: ${why}`, usage)),
  );
  config.allowPull = [
    ...new Set(
      (values['allow-pull'] ?? []).map((text) => {
        const read = allowedRegistry(text);
        if ('problem' in read) throw new UsageError(`--allow-pull ${text}: ${read.problem}`, usage);
        return read.registry;
      }),
    ),
  ];
  if (values['trash-keep'] !== undefined) {
    config.trashKeepMs = keepFlag('trash-keep', values['trash-keep'], usage) * 1000;
  }
  if (values['archive-after'] !== undefined) {
    config.archiveAfterMs = keepFlag('archive-after', values['archive-after'], usage) * 1000;
  }
  if (values['transfer-stall'] !== undefined) {
    const seconds = keepFlag('transfer-stall', values['transfer-stall'], usage);
    if (seconds < 1) throw new UsageError(`--transfer-stall: expected at least 1s, such as 10m`, usage);
    config.transferStallMs = seconds * 1000;
  }
  applyIdleFlags(config.idle, values, usage);
  capIdleDurations(config.idle, usage);
  return { config, quiet: values.quiet ?? false };
}

/**
 * `--trash-keep` (how long a deleted home stays restorable; 0: no trash) and `--archive-after` (how
 * long a workspace stays stopped before it is archived; 0: never), in seconds.
 */
function keepFlag(flag: string, text: string, usage: string): number {
  const seconds = parseDuration(text);
  if (seconds === null) throw new UsageError(`--${flag} ${text}: ${durationProblem(text)}`, usage);
  if (seconds > MAX_DURATION_SECONDS) throw new UsageError(`--${flag}: at most 365d`, usage);
  return seconds;
}

/** The idle flags whose seconds become dates: held to the cap that specs are held to. */
function capIdleDurations(idle: IdleConfig, usage: string): void {
  const flags: [string, keyof IdleConfig][] = [
    ['idle-timeout', 'timeout'],
    ['attached-grace', 'attachedGrace'],
    ['max-lifetime', 'maxLifetime'],
    ['idle-max', 'idleMax'],
    ['idle-warn-before', 'warnBefore'],
    ['keepalive-max', 'keepaliveMax'],
    ['keepalive-default', 'keepaliveDefault'],
    ['idle-interval', 'interval'],
  ];
  for (const [flag, key] of flags) {
    if (idle[key] > MAX_DURATION_SECONDS) {
      throw new UsageError(`--${flag}: at most ${MAX_DURATION_SECONDS} seconds (365d)`, usage);
    }
  }
}

/**
 * Keeps the agent serving through an error nothing caught: it is logged with its stack, and every
 * other user's connections and operations go on. (What still ends the process, a supervisor
 * restarts: scripts/berth-agent.service.) Returns the function that removes the handlers.
 */
export function surviveUnexpectedErrors(log: Logger): () => void {
  const report = (what: string) => (err: unknown) =>
    log.error(`${what}; the agent keeps running: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  const onException = report('uncaught exception');
  const onRejection = report('unhandled promise rejection');
  // A log nobody reads any more (its pipe closed) is no reason to stop, and no error to log: logged
  // to that same broken stderr, it would fail again, for ever.
  const onLogError = () => undefined;
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  process.stdout.on('error', onLogError);
  process.stderr.on('error', onLogError);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
    process.stdout.off('error', onLogError);
    process.stderr.off('error', onLogError);
  };
}

/** Applies the GPU flags: nvidia-smi path, device request mode, sharing, default per-user quota. */
function gpuFlags(
  config: AgentConfig,
  values: { 'nvidia-smi'?: string; 'gpu-mode'?: string; 'gpu-sharing'?: string; 'gpu-quota'?: string },
  usage: string,
): void {
  if (values['nvidia-smi']) config.gpu.nvidiaSmi = values['nvidia-smi'];
  const mode = values['gpu-mode'];
  if (mode !== undefined) {
    if (mode !== 'nvidia' && mode !== 'cdi') throw new UsageError(`--gpu-mode ${mode}: expected nvidia or cdi`, usage);
    config.gpu.mode = mode;
  }
  const sharing = numberOption('gpu-sharing', values['gpu-sharing'], usage, true);
  if (sharing !== undefined) {
    if (sharing < 1) throw new UsageError('--gpu-sharing: expected 1 (exclusive) or more workspaces per GPU', usage);
    config.gpu.sharing = sharing;
  }
  const quota = numberOption('gpu-quota', values['gpu-quota'], usage, true);
  if (quota !== undefined) {
    if (quota < 0) throw new UsageError('--gpu-quota: expected 0 or more GPUs per user', usage);
    config.gpu.defaultQuota = quota;
  }
}

/** `berth serve`: runs the agent until SIGINT/SIGTERM. */
export const serve: Command = {
  name: 'serve',
  summary: 'run the agent on this compute host',
  usage,
  async run(argv) {
    const { config, quiet } = serveConfig(argv);
    const log = createLogger(quiet);
    const removeHandlers = surviveUnexpectedErrors(log);
    const agent = await startAgent(config, log).catch((err: unknown) => {
      removeHandlers();
      throw err;
    });
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
