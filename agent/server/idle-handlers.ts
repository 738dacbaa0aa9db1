import { BerthError, type Params, type Result } from '../../protocol';
import type { AgentConfig } from '../config';
import type { User } from '../users';
import type { WorkspaceService } from '../workspaces/service';
import { runClocks } from '../idle/clocks';
import type { IdleMonitor } from '../workspaces/idle-monitor';
import { settingsFor } from '../idle/settings';

type Handler<M extends 'workspace.activity' | 'workspace.keepalive' | 'idle.status'> = (
  params: Params<M>,
  ctx: { user: User },
) => Promise<Result<M>>;

/** The request handlers of the idle feature: presence reports, keepalives and `berth idle`. */
export function idleHandlers({
  config,
  service,
  monitor,
}: {
  config: AgentConfig;
  service: WorkspaceService;
  monitor: IdleMonitor;
}): {
  'workspace.activity': Handler<'workspace.activity'>;
  'workspace.keepalive': Handler<'workspace.keepalive'>;
  'idle.status': Handler<'idle.status'>;
} {
  const requireRunning = (name: string, state: string, what: string) => {
    if (state !== 'running') {
      throw new BerthError(
        'conflict',
        `workspace "${name}" is ${state}; ${what} only while it runs (berth start ${name})`,
      );
    }
  };
  return {
    'workspace.activity': async ({ signal: _signal, ...ref }, ctx) => {
      const record = service.resolve(ctx.user, ref);
      requireRunning(record.name, record.state, 'activity counts');
      monitor.present(record);
      const lastActivity = record.lastActivity ?? { at: new Date().toISOString(), signal: 'present' as const };
      return { lastActivity };
    },
    'workspace.keepalive': async ({ seconds, end, ...ref }, ctx) => {
      const record = service.resolve(ctx.user, ref);
      requireRunning(record.name, record.state, 'it can be kept running');
      if (end) {
        if (seconds !== undefined) throw new BerthError('invalid_params', 'pass seconds or end, not both');
        const now = Date.now();
        await monitor.endKeepalive(record, now);
        return { workspace: service.view(record), keepUntil: new Date(now).toISOString(), capped: false };
      }
      const { keepaliveDefault, keepaliveMax } = config.idle;
      const requested = seconds ?? keepaliveDefault;
      const now = Date.now();
      // A keepalive never outlasts the run's hard cap: promising later would be a false promise.
      const { maxLifetime } = settingsFor(record.spec, config.idle);
      const lifeEnd = maxLifetime > 0 ? Date.parse(runClocks(record).startedAt) + maxLifetime : Infinity;
      const until = Math.min(now + Math.min(requested, keepaliveMax) * 1000, lifeEnd);
      await monitor.keepalive(record, until, now);
      return {
        workspace: service.view(record),
        keepUntil: new Date(until).toISOString(),
        capped: until < now + requested * 1000,
      };
    },
    'idle.status': async ({ dryRun }, ctx) => {
      const records = service
        .list(ctx.user)
        .map((workspace) => service.resolve(ctx.user, { name: workspace.name, owner: workspace.owner }));
      const { idle } = config;
      return {
        now: new Date().toISOString(),
        settings: {
          idleTimeout: idle.timeout,
          attachedGrace: idle.attachedGrace,
          maxLifetime: idle.maxLifetime,
          idleMax: idle.idleMax,
          warnBefore: idle.warnBefore,
          keepaliveMax: idle.keepaliveMax,
          interval: idle.interval,
          cpuThreshold: idle.cpuThreshold,
        },
        workspaces: await monitor.status(records, dryRun),
      };
    },
  };
}
