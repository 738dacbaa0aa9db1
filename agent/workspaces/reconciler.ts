import type { Runtime } from '../runtime/runtime';
import { errorMessage, type Logger } from '../../util/log';
import { volumeName, type WorkspaceRecord } from '../state/record';
import { containerSpecHash } from './spec-hash';
import type { WorkspaceService } from './service';
import { listeningIn } from './bring-up';
import { waitForSsh } from './ssh-probe';
import type { Store } from '../state/store';

const WATCHED_ACTIONS = new Set(['start', 'die', 'stop', 'kill', 'oom', 'destroy']);
const INTERRUPTED_SSH_WAIT_MS = 15_000;

/**
 * Keeps the store in step with Docker. At start-up and after every reconnect to the engine it
 * compares each record with its container; in between it follows Docker's event stream, so a
 * container stopped, killed or removed behind the agent's back shows up within moments. Orphans
 * (labelled objects no record claims) are reported, never adopted or deleted; only what a restore
 * interrupted by the agent's death left is removed.
 */
export class Reconciler {
  /** Labelled containers and volumes that no workspace claims, as of the last reconciliation. */
  orphans: string[] = [];
  private readonly abort = new AbortController();
  private connected = false;

  constructor(
    private readonly service: WorkspaceService,
    private readonly runtime: Runtime,
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  /** Whether the engine answered at the last attempt. */
  get dockerConnected(): boolean {
    return this.connected;
  }

  /**
   * Connects to the engine's event stream, reconciles, and keeps doing so after every disconnect, with
   * backoff. `ready` resolves after the first reconciliation (or the first failed attempt).
   */
  run(): { ready: Promise<void> } {
    let markReady!: () => void;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    void (async () => {
      let backoffMs = 250;
      while (!this.abort.signal.aborted) {
        try {
          await this.runtime.watch(
            (event) => {
              if (WATCHED_ACTIONS.has(event.action)) void this.check(event.workspaceId);
            },
            this.abort.signal,
            async () => {
              this.connected = true;
              backoffMs = 250;
              await this.reconcileAll();
              markReady();
            },
          );
          if (this.connected && !this.abort.signal.aborted) this.log.warn('lost the Docker event stream; reconnecting');
        } catch (err) {
          if (this.connected || backoffMs === 250) this.log.warn(`Docker is not reachable: ${errorMessage(err)}`);
        }
        this.connected = false;
        markReady();
        if (this.abort.signal.aborted) break;
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    })();
    return { ready };
  }

  stop(): void {
    this.abort.abort();
  }

  /** Brings every record in line with Docker, finishing or failing operations a crash interrupted. */
  async reconcileAll(): Promise<void> {
    await Promise.all(this.store.all().map((record) => this.reconcileOne(record)));
    // Listed once the records are settled: what an interrupted delete just removed is no orphan.
    const known = new Set(this.store.all().map((record) => record.id));
    await this.removeHalfRestored(known);
    for (const name of await this.runtime.removeLeftovers()) {
      this.log.info(`removed ${name}: a look into an image for sshd that never finished (the agent stopped during it)`);
    }
    const labelled = await this.runtime.listLabelled();
    const kept = this.store.keptVolumes();
    this.orphans = [
      ...[...labelled.containers].filter(([id]) => !known.has(id)).map(([, name]) => `container ${name}`),
      ...[...labelled.volumes]
        // An inner Docker's volume (Docker-in-Docker) is kept with its workspace's home.
        .filter(([name, id]) => !known.has(id) && !kept.has(name) && !kept.has(volumeName(id)))
        .map(([name]) => `volume ${name}`),
    ];
    for (const orphan of this.orphans) {
      this.log.warn(`orphan ${orphan}: labelled by Berth but no workspace claims it; left alone`);
    }
  }

  /**
   * A restore the agent died in (agent/workspaces/backup.ts) left its unpacking container (never
   * started, spec-hash `restoring`), claimed by no record, its volume and bootstrap directory: nothing
   * of it was recorded, so all of it goes. Any other unclaimed object stays an orphan.
   */
  private async removeHalfRestored(known: Set<string>): Promise<void> {
    const { containers } = await this.runtime.listLabelled();
    for (const [id, name] of containers) {
      // A restore still under way (a reconcile after a Docker reconnect) holds a reservation: it stays.
      if (known.has(id) || this.service.reservations.has(id)) continue;
      if ((await this.runtime.inspect(id))?.specHash !== 'restoring') continue;
      this.log.info(`removing ${name} and its home: a restore that never completed (the agent stopped during it)`);
      await this.runtime.removeContainer(id);
      await this.runtime.removeVolume(id);
      await this.service.deps.bootstrap.remove(id);
    }
  }

  /** Re-reads one workspace's container after a Docker event. */
  async check(id: string): Promise<void> {
    const record = this.store.get(id);
    if (!record || this.service.isBusy(id)) return;
    try {
      await this.reconcileOne(record);
    } catch (err) {
      this.log.warn(`could not check workspace ${record.owner}/${record.name}: ${errorMessage(err)}`);
    }
  }

  private async reconcileOne(record: WorkspaceRecord): Promise<void> {
    if (this.service.isBusy(record.id)) return;
    const status = await this.runtime.inspect(record.id);
    const running = status?.running ?? false;
    switch (record.state) {
      case 'creating':
      case 'starting':
        // The agent died during this operation: keep what came up, fail what did not.
        await this.service.exclusive(record, 'recovering', async () => {
          if (running && (await this.sshAnswers(record))) return this.service.setState(record, 'running');
          if (running) await this.runtime.stopContainer(record.id, 0);
          const verb = record.state === 'creating' ? 'creating' : 'starting';
          await this.service.setState(
            record,
            'failed',
            `the agent stopped while ${verb} this workspace; start it to retry, or delete it`,
          );
        });
        return;
      case 'stopping':
        await this.service.exclusive(record, 'stopping', async () => {
          await this.runtime.stopContainer(record.id, 10);
          await this.service.setState(record, 'stopped');
        });
        return;
      case 'deleting':
        await this.service.exclusive(record, 'deleting', () => this.service.finishDelete(record, { requestId: null }));
        return;
      case 'running':
        if (running) return;
        if (status?.oomKilled) {
          return this.service.setState(
            record,
            'failed',
            `the container ran out of memory (limit ${Math.round(record.spec.memory / 1024 ** 2)} MiB); raise it with berth update`,
          );
        }
        return this.service.setState(
          record,
          'stopped',
          status
            ? `stopped outside Berth (exit code ${status.exitCode})`
            : `its container was removed outside Berth; start recreates it on ${volumeName(record.id)}`,
        );
      case 'stopped':
      case 'failed':
        if (!running) return;
        if (record.spec.gpus > 0 || status?.specHash !== containerSpecHash(record.spec)) {
          // A GPU workspace's container still names the GPUs it held before it stopped, which may be
          // someone else's now; a container from an older spec may too (its GPUs set to 0 since),
          // or has limits its owner changed, or settings from an older Berth. Only a start through
          // Berth assigns GPUs and recreates it.
          const why =
            record.spec.gpus > 0
              ? 'its GPUs are assigned only by berth start'
              : 'its container is from an older spec or older Berth settings (berth start recreates it)';
          await this.service.exclusive(record, 'recovering', async () => {
            await this.runtime.stopContainer(record.id, 0);
            await this.service.setState(record, 'stopped', `started outside Berth, so stopped again: ${why}`);
          });
          return;
        }
        // Started behind the agent's back: it counts as running once sshd answers.
        await this.service.exclusive(record, 'recovering', async () => {
          if (await this.sshAnswers(record)) await this.service.setState(record, 'running', 'started outside Berth');
        });
        return;
    }
  }

  private async sshAnswers(record: WorkspaceRecord): Promise<boolean> {
    try {
      await waitForSsh({
        host: this.service.deps.config.sshHost,
        port: record.port,
        timeoutMs: INTERRUPTED_SSH_WAIT_MS,
        failure: () => this.service.exitReason(record),
        listening: () => listeningIn(this.runtime, record),
      });
      return true;
    } catch {
      return false;
    }
  }
}
