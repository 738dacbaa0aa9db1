import { createHash } from 'node:crypto';
import * as path from 'node:path';

/** What the spec's variables stand for at create time. */
export interface VariableContext {
  /** `${localWorkspaceFolder}`: the project folder on this machine. */
  localWorkspaceFolder: string;
  /** `${containerWorkspaceFolder}`: where the workspace's files live inside (Berth: the user's home). */
  containerWorkspaceFolder: string;
  /** `${devcontainerId}`. */
  devcontainerId: string;
  /** This machine's environment, for `${localEnv:X}`. */
  env: NodeJS.ProcessEnv;
}

/** Where `${containerEnv:X}` may stand: only where a shell inside expands it (see {@link substitute}). */
export type ContainerEnvUse = 'shell' | 'refuse';

/** A variable the definition uses that cannot be resolved here; the message says why. */
export class VariableProblem extends Error {}

/**
 * `${devcontainerId}`: stable for one workspace name and definition, as the spec asks (the same
 * across rebuilds), 52 characters of base-32 from SHA-256 as the reference implementation makes it.
 */
export function devcontainerId(workspace: string, file: string): string {
  const digest = createHash('sha256').update(`${workspace}\n${file}`).digest();
  let bits = 0n;
  for (const byte of digest) bits = (bits << 8n) | BigInt(byte);
  return bits.toString(32).padStart(52, '0').slice(0, 52);
}

const PATTERN = /\$\{([^}]*)\}/g;

/**
 * `text` with the spec's variables replaced: `${localWorkspaceFolder}`,
 * `${localWorkspaceFolderBasename}`, `${containerWorkspaceFolder}`,
 * `${containerWorkspaceFolderBasename}`, `${localEnv:X}` (`${env:X}`), `${localEnv:X:default}`,
 * `${devcontainerId}`. `${containerEnv:X}` is known only inside the container: in a command run by
 * a shell (`use` 'shell') it becomes `${X}`, which that shell expands; elsewhere it is a
 * {@link VariableProblem}, as is any unknown variable (never left in silently).
 */
export function substitute(text: string, ctx: VariableContext, use: ContainerEnvUse): string {
  return text.replace(PATTERN, (whole, inner: string) => {
    const [kind = '', name, ...rest] = inner.split(':');
    const fallback = rest.length ? rest.join(':') : undefined;
    switch (kind) {
      case 'localWorkspaceFolder':
        return ctx.localWorkspaceFolder;
      case 'localWorkspaceFolderBasename':
        return path.basename(ctx.localWorkspaceFolder);
      case 'containerWorkspaceFolder':
        return ctx.containerWorkspaceFolder;
      case 'containerWorkspaceFolderBasename':
        return path.posix.basename(ctx.containerWorkspaceFolder);
      case 'devcontainerId':
        return ctx.devcontainerId;
      case 'localEnv':
      case 'env':
        if (!name) throw new VariableProblem(`${whole} names no variable; write \${localEnv:NAME}`);
        return ctx.env[name] ?? fallback ?? '';
      case 'containerEnv':
        if (!name) throw new VariableProblem(`${whole} names no variable; write \${containerEnv:NAME}`);
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
          throw new VariableProblem(`${whole}: "${name}" is not a variable name`);
        }
        if (use === 'shell') return fallback === undefined ? `\${${name}}` : `\${${name}:-${fallback}}`;
        throw new VariableProblem(
          `${whole} is known only inside the container, and Berth resolves this value before it exists; use it in a lifecycle command given as a string (its shell expands it), or write the value out`,
        );
      default:
        throw new VariableProblem(
          `${whole} is not a variable Berth knows (see the README's devcontainer.json section)`,
        );
    }
  });
}
