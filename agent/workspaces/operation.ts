import type { ProgressPhase, RequestId } from '../../protocol';
import type { AgentConfig } from '../config';
import type { Gpus } from '../gpu/gpus';
import type { Runtime } from '../runtime/runtime';
import type { WorkspaceRecord } from '../state/record';
import type { Store } from '../state/store';
import type { Users } from '../users';
import type { SettingsStore } from '../settings';
import type { Logger } from '../../util/log';
import type { Bootstrap } from './bootstrap';
import type { DiskUsage } from './disk-usage';
import type { EventBus } from './events';
import type { Homes } from './homes';
import type { PortAllocator } from './ports';
import type { SecretStager } from '../secrets/stage';

/** Who asked, and how to report back: the request id ties progress events to it; the signal cancels. */
export interface OpContext {
  requestId: RequestId | null;
  /** The connection the request came on: only there does a progress event keep its `requestId`. */
  connectionId?: number;
  signal?: AbortSignal;
  /** Seconds a start may wait in the GPU queue (absent or 0: fail at once when none are free). */
  waitForGpus?: number | undefined;
  /** Start on a new, empty home volume when the workspace's own is gone (only when the user asked). */
  freshHome?: boolean | undefined;
  /** Make the container afresh even when the spec is unchanged (a rebuild). */
  recreate?: boolean | undefined;
}

/** Everything the workspace service drives. */
export interface ServiceDeps {
  config: AgentConfig;
  store: Store;
  users: Users;
  /** Users' own settings (dotfiles); absent in set-ups without them. */
  settings?: SettingsStore;
  runtime: Runtime;
  ports: PortAllocator;
  bootstrap: Bootstrap;
  bus: EventBus;
  log: Logger;
  gpus: Gpus;
  /** The last measured disk use; absent in set-ups that do not measure it. */
  disk?: DiskUsage;
  /** The home volumes as objects (reattach, kept homes); absent in set-ups without them. */
  homes?: Homes;
  /** Removes a built image once no workspace names it (agent/build/builder.ts); absent: images are kept. */
  images?: { release(image: string): void };
  /** Hands workspaces their secrets at each start; absent in set-ups without secrets. */
  secrets?: SecretStager;
  /** Where a delete with data puts the home (trash.ts); absent or not enabled: deleted at once. */
  trash?: { enabled: boolean; put(record: WorkspaceRecord): Promise<string> };
}

/** Tells the owner's clients how the operation of `ctx` on `record` is getting on. */
export function reportProgress(
  bus: EventBus,
  record: WorkspaceRecord,
  ctx: OpContext,
  phase: ProgressPhase,
  message: string,
  queuePosition?: number,
): void {
  const data = { requestId: ctx.requestId, id: record.id, name: record.name, phase, message, queuePosition };
  bus.emit({ event: 'workspace.progress', data }, record.owner, ctx.connectionId);
}

/** A create from a backup: the backup's host key, and `fill`, which puts the verified home in place before the record is stored. */
export interface RestoreFrom {
  hostKey: { privateKey: string; publicKey: string };
  fill(record: WorkspaceRecord): Promise<void>;
}
