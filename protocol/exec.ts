import { z } from 'zod';
import { RequestId } from './ids';
import { WorkspaceRef } from './workspace';

/**
 * `workspace.exec`: a command run in a workspace as its user, through the agent (no SSH needed).
 *
 * The request's reply comes when the command has exited (`exitCode`). Meanwhile:
 * - output arrives as `workspace.exec.output` events for that request only, base64 chunks of at most
 *   {@link EXEC_CHUNK_BYTES} (stdout and stderr apart; with a TTY all of it is `stdout`);
 * - with `stdin`, the client sends {@link ExecInput} frames, at most {@link EXEC_STDIN_WINDOW} bytes
 *   beyond what the agent acknowledged (`workspace.exec.stdin` events say how much it has written to
 *   the command), then one with `eof`;
 * - with `tty`, {@link ExecResize} frames change the window size;
 * - a cancel frame (or the connection ending) kills the command.
 */

/** The largest chunk of output or input one frame carries (before base64). */
export const EXEC_CHUNK_BYTES = 64 * 1024;

/** Bytes of stdin a client may have sent beyond what the agent acknowledged; more fails the command. */
export const EXEC_STDIN_WINDOW = 1024 * 1024;

/** One argument: any text but NUL (the kernel's argv cannot hold it). */
const Argument = z
  .string()
  .max(64 * 1024)
  .refine((arg) => !arg.includes('\0'), 'must not contain a NUL character');

/** A terminal size in character cells. */
export const TerminalSize = z
  .object({ cols: z.number().int().min(1).max(1000), rows: z.number().int().min(1).max(1000) })
  .strict();
export type TerminalSize = z.infer<typeof TerminalSize>;

export const ExecParams = WorkspaceRef.extend({
  /** argv: the program (looked up on the user's PATH) and its arguments; no shell unless you name one. */
  command: z.array(Argument).min(1, 'give the command to run').max(1024),
  /** A pseudo-terminal, as `ssh -t` or `docker exec -t` give one: output is one stream. */
  tty: z.boolean().default(false),
  /** Keep the command's stdin open for {@link ExecInput} frames; without it stdin is at end of file. */
  stdin: z.boolean().default(false),
  /** The terminal's first size (with `tty`). */
  size: TerminalSize.optional(),
}).strict();

export const ExecResult = z.object({ exitCode: z.number().int() });

/** Base64 text of at most {@link EXEC_CHUNK_BYTES} bytes. */
const Chunk = z
  .string()
  .max(Math.ceil(EXEC_CHUNK_BYTES / 3) * 4)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

/** Client → agent: stdin for a running `workspace.exec` (`data`), or its end (`eof`). */
export const ExecInput = z
  .object({ input: RequestId, data: Chunk.optional(), eof: z.literal(true).optional() })
  .strict()
  .refine((frame) => frame.data !== undefined || frame.eof, 'give data, eof or both');
export type ExecInput = z.infer<typeof ExecInput>;

/** Client → agent: the terminal of a running `workspace.exec` with `tty` changed size. */
export const ExecResize = z.object({ resize: RequestId, size: TerminalSize }).strict();
export type ExecResize = z.infer<typeof ExecResize>;

/** Agent → client events of a running `workspace.exec`. */
export const EXEC_EVENTS = {
  /** A chunk of the command's output (base64). */
  'workspace.exec.output': z.object({
    requestId: RequestId,
    stream: z.enum(['stdout', 'stderr']),
    data: z.string(),
  }),
  /** The agent has written `bytes` bytes of stdin in all to the command: the client may send more. */
  'workspace.exec.stdin': z.object({ requestId: RequestId, bytes: z.number().int().min(0) }),
} as const;
