import { BerthError } from '../../protocol';
import { GpuRefusal } from '../gpu/gpus';
import { containerHash } from '../gpu/requests';
import type { Runtime } from '../runtime/runtime';
import { volumeName, type WorkspaceRecord } from '../state/record';
import type { KeyWriter } from './keys';
import { reportProgress, type OpContext, type ServiceDeps } from './operation';
import { containerSpecHash } from './spec-hash';
import { runLifecycle, type LifecycleRun } from './lifecycle';
import { resolveBinds } from './volume-rules';
import { pullAllowed } from '../../protocol/image-registry';
import { sshListening, waitForSsh } from './ssh-probe';
import { requireImage } from './spec-rules';

/** A workspace brought up: what its message should say (optional GPUs not had, a lifecycle failure), and the lifecycle's rest. */
export interface BroughtUp {
  message?: string;
  /** Records which step of the start failed, if one did, in the same save as `message`. */
  edit?: (draft: WorkspaceRecord) => void;
  rest: LifecycleRun['rest'];
}

/** Exit codes of the workspace init script: no sshd, not root, bad input or sshd config. */
const INIT_EXIT_CODES = new Set([127, 126, 78]);

/**
 * Makes the container match the spec (recreating it when the spec or Berth's container settings
 * changed, or it is gone), starts it and waits for sshd. GPUs are taken first (waiting in the
 * queue when `ctx` allows it); `onQueue` runs whenever its place in the queue changes, and once
 * more when it leaves the queue with its GPUs, so that every client can show where it stands.
 * With `gpusOptional` a start that can have no GPUs goes on without them, and says so. Once sshd
 * answers, the lifecycle commands up to `waitFor` run (lifecycle.ts); the rest is returned.
 */
export async function bringUp(
  deps: ServiceDeps,
  keys: KeyWriter,
  record: WorkspaceRecord,
  ctx: OpContext,
  onQueue: () => void = () => undefined,
): Promise<BroughtUp> {
  const { runtime, bootstrap, config, gpus, bus } = deps;
  const progress = (phase: Parameters<typeof reportProgress>[3], message: string, position?: number) =>
    reportProgress(bus, record, ctx, phase, message, position);
  // A first container's image is pulled before the GPUs are taken, so a download holds none of them;
  // a workspace with a container pulls only if it needs a new one (below), so a restart never waits
  // on the registry.
  if (!(await runtime.inspect(record.id))) await pullIfMissing(deps, record, ctx);
  let queued = false;
  let withoutGpus: string | undefined;
  const optional = record.spec.gpusOptional === true;
  await gpus
    .acquire(record, {
      waitMs: optional ? 0 : (ctx.waitForGpus ?? 0) * 1000,
      signal: ctx.signal,
      onQueued: (position, message) => {
        queued = true;
        progress('waiting-for-gpus', message, position);
        onQueue();
      },
    })
    .catch((err: unknown) => {
      if (!optional || !(err instanceof GpuRefusal)) throw err;
      withoutGpus = `started without GPUs (they are optional for it): ${err.message}`;
      progress('allocating', withoutGpus);
      deps.log.info(`${record.owner}/${record.name}: ${withoutGpus}`);
    });
  if (queued) onQueue();
  const hash = containerHash(containerSpecHash(record.spec), record.assignedGpus, config.gpu.mode);
  const status = await runtime.inspect(record.id);
  const [secretsDir] = await Promise.all([
    deps.secrets?.stage(record) ?? null,
    bootstrap.refresh(record),
    keys.write(record.owner, () => [record]),
  ]);
  if (!status || status.specHash !== hash) {
    // Before the old container goes, as the image: a bind the admin no longer allows leaves it as it was.
    const binds = resolveBinds(config, record.spec);
    // Before the old container goes: an image that cannot get an sshd leaves it as it was. The image
    // as it is now (pulled, or tagged since the create) is checked: only its owner runs a build.
    await pullIfMissing(deps, record, ctx);
    await requireImage(runtime, record.spec.image, record.owner, config.allowPull);
    let layered = false;
    const image = await runtime.sshdImage(
      record.spec.image,
      (message) => {
        layered = true;
        progress('installing-sshd', message);
      },
      ctx.signal,
    );
    if (layered) {
      deps.log.info(`${record.owner}/${record.name}: ${record.spec.image} runs as ${image}, with OpenSSH installed`);
    }
    if (status) await runtime.removeContainer(record.id);
    progress('creating-container', `Creating container from ${record.spec.image}`);
    await runtime.createContainer({
      record,
      specHash: hash,
      bootstrapDir: bootstrap.dir(record.id),
      gpuMode: config.gpu.mode,
      secretsDir,
      binds,
      ...(image === record.spec.image ? {} : { image }),
    });
  }
  progress('starting-container', 'Starting the container');
  await runtime.startContainer(record.id);
  progress('waiting-for-ssh', `Waiting for sshd on port ${record.port}`);
  let pid = 0;
  await waitForSsh({
    host: config.sshHost,
    port: record.port,
    timeoutMs: config.sshReadyTimeoutMs,
    signal: ctx.signal,
    failure: () => exitReason(runtime, record),
    listening: async () => {
      // The pid stays for the run: one inspect, then only /proc reads while sshd comes up.
      if (!pid) pid = await pidOf(runtime, record);
      return pid ? sshListening(pid) : null;
    },
  });
  const lifecycle = await runLifecycle(deps, record, ctx);
  progress('done', 'Running');
  const message = [withoutGpus, lifecycle.failure].filter(Boolean).join('; ');
  const { failedStage } = lifecycle;
  const edit = failedStage ? (draft: WorkspaceRecord) => void (draft.failedStage = failedStage) : undefined;
  return { ...(message ? { message } : {}), ...(edit ? { edit } : {}), rest: lifecycle.rest };
}

/**
 * Refuses to start a workspace whose home volume is gone (removed outside Berth): Docker would make
 * an empty one in its place when it creates the container, and its owner would find an empty home.
 * With `ctx.freshHome` (the owner asked for it) a new, empty one is made instead. A workspace whose
 * container exists has its volume: Docker does not remove a volume a container uses.
 */
export async function requireHome(deps: ServiceDeps, record: WorkspaceRecord, ctx: OpContext): Promise<void> {
  const { runtime, log } = deps;
  if (await runtime.inspect(record.id)) return;
  const volume = volumeName(record.id);
  if ((await runtime.listLabelled()).volumes.has(volume)) return;
  if (!ctx.freshHome) {
    throw new BerthError(
      'not_found',
      `the home volume ${volume} of workspace "${record.name}" is gone (removed outside Berth), and the files of its home with it; Berth does not start it on an empty home unasked: restore the volume, or delete the workspace (berth rm ${record.name}) and create it again`,
      { volume },
    );
  }
  log.warn(`${record.owner}/${record.name}: its home volume ${volume} is gone; starting on a new, empty one as asked`);
  reportProgress(deps.bus, record, ctx, 'creating-volume', `Creating a new, empty home volume ${volume}`);
  await runtime.ensureVolume(record);
}

/** Why the container is not running, from its exit code and last output; null while it runs. */
export async function exitReason(runtime: Runtime, record: WorkspaceRecord): Promise<string | null> {
  const status = await runtime.inspect(record.id);
  if (status?.running) return null;
  if (!status) return 'the container was removed';
  if (status.oomKilled) {
    return `the container ran out of memory (limit ${Math.round(record.spec.memory / 1024 ** 2)} MiB); raise it with berth update`;
  }
  const lines = (await runtime.logs(record.id, 20))
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  // The init's own failures (see agent/image/README.md) end with one `berth:` line; anything else
  // (sshd dying after the init handed over) is best told by the last line.
  const ownFailure = INIT_EXIT_CODES.has(status.exitCode)
    ? lines.filter((line) => line.startsWith('berth: ')).pop()
    : undefined;
  const reason = ownFailure ?? lines.pop() ?? 'no output';
  return `the container exited with code ${status.exitCode}: ${reason}`;
}

/** Whether the sshd of `record`'s running container listens (see `sshListening`); null when unknown. */
export async function listeningIn(runtime: Runtime, record: WorkspaceRecord): Promise<boolean | null> {
  const pid = await pidOf(runtime, record);
  return pid ? sshListening(pid) : null;
}

/** The host pid of `record`'s container while it runs, else 0. */
async function pidOf(runtime: Runtime, record: WorkspaceRecord): Promise<number> {
  const status = await runtime.inspect(record.id);
  return status?.running ? status.pid : 0;
}

/**
 * Pulls the workspace's image when the host lacks it and the agent may pull from its registry
 * (`berth serve --allow-pull`), its steps as `pulling-image` progress; otherwise does nothing.
 */
export async function pullIfMissing(deps: ServiceDeps, record: WorkspaceRecord, ctx: OpContext): Promise<void> {
  const image = record.spec.image;
  if (!pullAllowed(image, deps.config.allowPull ?? []) || (await deps.runtime.imageExists(image))) return;
  await deps.runtime.pullImage(
    image,
    (line) => reportProgress(deps.bus, record, ctx, 'pulling-image', line),
    ctx.signal,
  );
  deps.log.info(`${record.owner}/${record.name}: pulled ${image}`);
}
