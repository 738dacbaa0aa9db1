import { z } from 'zod';
import { EXEC_EVENTS } from './exec';
import { BUILD_EVENTS } from './build';
import { UserName } from './spec';
import { Workspace } from './workspace';

/** Phases of long operations, reported in order through `workspace.progress`. */
export const PROGRESS_PHASES = [
  'allocating',
  'waiting-for-gpus',
  'creating-volume',
  'pulling-image', // an image the host lacks, from a registry the admin allowed (Docker's steps as messages)
  'installing-sshd', // an image without sshd gets it, on its first use (the build log as messages)
  'creating-container',
  'starting-container',
  'waiting-for-ssh',
  'stopping',
  'removing-container',
  'removing-volume',
  'done',
  // devcontainer.json: a lifecycle command runs (its output lines come as this phase's messages).
  'lifecycle',
] as const;
export type ProgressPhase = (typeof PROGRESS_PHASES)[number];

/** The event table: every event the agent sends, with its data schema. */
export const EVENTS = {
  /** A workspace was created or changed (state, spec...). Carries the whole new object. */
  'workspace.changed': z.object({ workspace: Workspace }),
  'workspace.removed': z.object({ id: z.string(), name: z.string(), owner: UserName }),
  /** A phase of a long operation; `requestId` ties it to the request that started it. */
  'workspace.progress': z.object({
    requestId: z.union([z.string(), z.number()]).nullable(),
    id: z.string(),
    name: z.string(),
    phase: z.enum(PROGRESS_PHASES),
    message: z.string(),
    /** With `waiting-for-gpus`: the request's place in the GPU queue, 1 being next. */
    queuePosition: z.number().int().min(1).optional(),
  }),
  /**
   * The idle monitor will stop the workspace at `stopAt` unless activity or a keepalive comes first.
   * Sent `warnBefore` ahead of every idle stop (and again if the deadline moves).
   */
  'workspace.idleWarning': z.object({
    id: z.string(),
    name: z.string(),
    owner: UserName,
    stopAt: z.string(),
    /** Why, in words: "nobody present for 25 min and not busy". */
    reason: z.string(),
  }),
  /** Output of a followed `workspace.logs` request. */
  'workspace.log': z.object({ requestId: z.union([z.string(), z.number()]), text: z.string() }),
  ...EXEC_EVENTS,
  ...BUILD_EVENTS,
} as const;

export type EventTable = typeof EVENTS;
export type EventName = keyof EventTable;
export type EventData<E extends EventName> = z.infer<EventTable[E]>;
