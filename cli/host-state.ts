import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { BerthError } from '../protocol';
import { defaultStateDir } from '../agent/config';
import { Users } from '../agent/users';
import { UsageError } from './args';
import { clientSettings } from './settings';
import type { TargetFlags } from './hosts';

/** The files only an agent's state directory holds: its users, its workspaces, its lock. */
const STATE_FILES = ['users.json', 'workspaces.json', 'agent.lock'];

/**
 * Refuses a directory that holds no agent state (a typo would mint a token no agent reads), unless
 * `init` asks to make it the state directory of a new agent.
 */
export function requireAgentState(dir: string, init: boolean): void {
  if (init || STATE_FILES.some((file) => existsSync(path.join(dir, file)))) return;
  throw new BerthError(
    'not_found',
    `${dir} holds no agent state (no ${STATE_FILES.join(', ')}), so no agent would read a token made there; pass the --state-dir the agent runs with, or add --init to start a new state directory there`,
  );
}

/** The flags that say where the users file is: this host's (`--local`, `--state-dir`) or an agent's. */
export type StateFlags = TargetFlags & { local?: boolean | undefined; 'state-dir'?: string | undefined };

/**
 * The users file to act on directly, or null when the command goes to an agent over the protocol
 * (`protocol` false: never). A missing file means this is not the agent's state directory (a laptop
 * without a client token, say).
 */
export async function localUsers(values: StateFlags, usage: string, protocol = true): Promise<Users | null> {
  const local = values.local || values['state-dir'] !== undefined || !protocol;
  if (local && (values.url || values.token || values.host)) {
    throw new UsageError('--local/--state-dir acts on the host itself; leave out --host, --url and --token', usage);
  }
  if (!local && (values.url || values.host || (await clientSettings(values)).token)) return null;
  const users = Users.in(stateDir(values));
  if (!existsSync(users.file)) {
    throw new BerthError(
      'not_found',
      `${users.file} does not exist, so this is not the agent's state directory; on the host pass --state-dir DIR of the agent${protocol ? ', or ask an agent with --host or --url and --token' : ''}`,
    );
  }
  return users;
}

/** The state directory the flags name, or the agent's default. */
export function stateDir(values: StateFlags): string {
  return values['state-dir'] ?? defaultStateDir();
}
