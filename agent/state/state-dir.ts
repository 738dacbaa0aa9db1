import { promises as fs } from 'node:fs';
import { errorMessage, type Logger } from '../../util/log';

/**
 * Makes the state directory, or narrows an existing one to 0700: it holds the workspaces' env
 * (secrets), host keys and token hashes, and a directory made by hand or by an older setup script may
 * be 0755. One that other users can read and the agent cannot narrow is an error saying what to do.
 */
export async function secureStateDir(dir: string, log: Logger): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const mode = (await fs.stat(dir)).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  const was = mode.toString(8).padStart(4, '0');
  try {
    await fs.chmod(dir, 0o700);
  } catch (err) {
    throw new Error(
      `the state directory ${dir} is open to other users (mode ${was}) and the agent could not make it 0700 (${errorMessage(err)}); it holds workspace secrets: run chmod 700 ${dir} as its owner, or start the agent as that user`,
      { cause: err },
    );
  }
  log.warn(`the state directory ${dir} was mode ${was}; made it 0700, as it holds workspace secrets`);
}
