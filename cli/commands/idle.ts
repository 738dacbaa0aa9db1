import type { IdleStatus } from '../../protocol';
import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { printWorkspace, withClient, type Command } from '../command';
import { durationProblem, formatSeconds, parseDuration } from '../duration';
import { formatTime, table } from '../format';

const idleUsage = 'berth idle [--dry-run] [--json]';

/** One line of `berth idle`: last activity, the signals now, and what the monitor will do. */
function row(ws: IdleStatus, now: number, withOwner: boolean): string[] {
  const signals = ws.signals;
  const busy = signals
    ? [
        `cpu ${signals.cpu === null ? '?' : signals.cpu.toFixed(2)}`,
        ...(signals.gpuBusy === null ? [] : [`gpu ${signals.gpuBusy ? 'busy' : 'idle'}`]),
      ].join(' ')
    : '';
  return [
    ws.name,
    ...(withOwner ? [ws.owner] : []),
    ws.state,
    ws.lastActivity
      ? `${ws.lastActivity.signal}${ws.lastActivity.source ? ` (${ws.lastActivity.source})` : ''} ${formatTime(ws.lastActivity.at)}`
      : '',
    ws.presentAt ? formatTime(ws.presentAt) : '',
    signals ? String(signals.attached) : '',
    busy,
    stopsWhen(ws, now),
  ];
}

/** When and why the idle monitor would stop the workspace, or why it stopped. */
function stopsWhen(ws: IdleStatus, now: number): string {
  if (ws.state !== 'running') return ws.stopReason ? `stopped (${ws.stopReason})` : '';
  if (!ws.decision) return 'not sampled yet';
  if (ws.decision.stopAt === null) return `never (${ws.decision.reason})`;
  const at = Date.parse(ws.decision.stopAt) <= now ? 'due' : formatTime(ws.decision.stopAt);
  return `${at}: ${ws.decision.stopReason} (${ws.decision.reason})`;
}

/** `berth idle`: each workspace's last activity and signals, and when the idle monitor would stop it. */
export const idle: Command = {
  name: 'idle',
  summary: 'show last activity and when each workspace would be stopped for idleness',
  usage: idleUsage,
  async run(argv) {
    const { values, positionals: rest } = parse(argv, { ...CLIENT_OPTIONS, 'dry-run': { type: 'boolean' } }, idleUsage);
    positionals(rest, [], idleUsage);
    await withClient(values, async (client) => {
      const status = await client.request('idle.status', { dryRun: values['dry-run'] ?? false });
      if (values.json) return void process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      const now = Date.parse(status.now);
      const withOwner = client.welcome.user.admin;
      const header = [
        'NAME',
        ...(withOwner ? ['OWNER'] : []),
        'STATE',
        'LAST ACTIVITY',
        'PRESENT',
        'SSH',
        'BUSY',
        'STOPS',
      ];
      const { settings: s } = status;
      process.stdout.write(
        `${table(
          header,
          status.workspaces.map((ws) => row(ws, now, withOwner)),
        )}\n` +
          `idle timeout ${formatSeconds(s.idleTimeout)}, attached grace ${formatSeconds(s.attachedGrace)}, ` +
          `max lifetime ${s.maxLifetime ? formatSeconds(s.maxLifetime) : 'none'}, ` +
          `${s.idleMax ? `no workspace idle longer than ${formatSeconds(s.idleMax)}, ` : ''}warning ${formatSeconds(s.warnBefore)} ahead, ` +
          `busy above ${s.cpuThreshold} cores${values['dry-run'] ? ' (dry run: sampled now, nothing acted on)' : ''}\n`,
      );
    });
    return 0;
  },
};

const keepaliveUsage =
  "berth keepalive NAME [DURATION] [--json]   (DURATION such as 2h or 30m; default: the agent's; 0 ends the keepalive)";

/**
 * `berth keepalive NAME [DURATION]`: no idle stop before now + DURATION (capped by the agent's
 * maximum); `0` ends the keepalive, so idle stops apply again from the last activity.
 */
export const keepalive: Command = {
  name: 'keepalive',
  summary: 'keep a workspace running for a while, whatever the idle monitor sees (0 ends it)',
  usage: keepaliveUsage,
  async run(argv) {
    const { values, positionals: rest } = parse(argv, CLIENT_OPTIONS, keepaliveUsage);
    if (rest.length === 1) rest.push('');
    const [name = '', duration = ''] = positionals(rest, ['NAME', 'DURATION'], keepaliveUsage);
    const seconds = duration ? parseDuration(duration) : undefined;
    if (seconds === null) {
      throw new UsageError(
        `DURATION ${duration}: ${durationProblem(duration)}, or 0 to end the keepalive`,
        keepaliveUsage,
      );
    }
    const params = seconds === undefined ? { name } : seconds === 0 ? { name, end: true as const } : { name, seconds };
    await withClient(values, async (client) => {
      const result = await client.request('workspace.keepalive', params);
      if (values.json) return void printWorkspace(result.workspace, true);
      const ws = result.workspace;
      const stop = ws.idleStopAt ? `idle stop at ${formatTime(ws.idleStopAt)}` : 'no idle stop pending';
      process.stdout.write(
        seconds === 0
          ? `${name}: keepalive ended; ${stop}\n`
          : `${name}: kept running until ${formatTime(result.keepUntil)}${result.capped ? ' (capped: the longest this host allows)' : ''}\n`,
      );
    });
    return 0;
  },
};
