import { existsSync, promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Locator } from 'playwright-core';
import type { Workbench } from './workbench';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** The activity-bar container and the view of Berth's tree, as package.json names them. */
export const BERTH_CONTAINER = 'Berth';
export const WORKSPACES_VIEW = 'Workspaces';

/**
 * The packaged extension under test: $BERTH_VSIX when set (a build from elsewhere), else
 * dist/berth-VERSION.vsix; throws, saying what to run, when it is missing.
 */
export function berthVsix(): string {
  const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const vsix = process.env.BERTH_VSIX || path.join(ROOT, 'dist', `berth-${version}.vsix`);
  if (!existsSync(vsix)) throw new Error(`${vsix} is missing; run npm run package first`);
  return vsix;
}

/**
 * An empty temp directory to hand code-server as HOME, so that the extension's ~/.ssh writes land
 * there. OpenSSH itself reads ~ from the passwd entry, so an ssh run against it needs `-F`.
 */
export async function makeFakeHome(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'berth-e2e-home-'));
}

/** What "Berth: Add Host" asks for. */
export interface HostAnswers {
  url: string;
  name: string;
  token: string;
}

/**
 * Answers "Berth: Add Host" (already opened, from the palette or the welcome view) for an agent URL
 * and token: the choice of how to reach the host, then its three input boxes.
 */
export async function answerAddHost(workbench: Workbench, answers: HostAnswers): Promise<void> {
  await workbench.quickInput.waitForTitleOrPrompt('Add Berth Host');
  await workbench.quickInput.typeAndEnter('Agent URL and token');
  await workbench.quickInput.waitForTitleOrPrompt('Add Berth Host (1/3)');
  await workbench.quickInput.typeAndEnter(answers.url);
  await workbench.quickInput.waitForTitleOrPrompt('Add Berth Host (2/3)');
  await workbench.quickInput.typeAndEnter(answers.name);
  await workbench.quickInput.waitForTitleOrPrompt('Add Berth Host (3/3)');
  await workbench.quickInput.typeAndEnter(answers.token);
}

/** The tree row text of a connected host: its name, then `user@host` as the agent greets. */
export function connectedHostRow(name: string, user: string, host = os.hostname()): string {
  return `${name} ${user}@${host}`;
}

/** A pattern for a workspace row: its name, then a description that starts with `state`. */
export function workspaceRow(name: string, state: string): RegExp {
  return new RegExp(`^${name} ${state}( |$)`);
}

/** An activation as the Berth output channel logged it: when (epoch ms, this machine's clock) and how long it took. */
export interface Activation {
  at: number;
  ms: number;
}

/** Every "Berth activated in N ms" line of the Berth output channel's text, in order. */
export function activations(channelText: string): Activation[] {
  // A LogOutputChannel line: "2026-01-31 12:34:56.789 [info] Berth activated in 7 ms with 0 host(s)", local time.
  const lines = channelText.matchAll(
    /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3}) \[info\] Berth activated in (\d+) ms/gm,
  );
  return [...lines].map(([, day, time, ms]) => ({ at: new Date(`${day}T${time}`).getTime(), ms: Number(ms) }));
}

/** The codicon a tree row shows (`vm-running`, `warning`…), from its icon's `codicon-*` class; null without one. */
export async function rowIcon(row: Locator): Promise<string | null> {
  const icon = row.locator('.custom-view-tree-node-item-icon');
  if (!(await icon.count())) return null;
  const classes = (await icon.first().getAttribute('class')) ?? '';
  return /(?:^|\s)codicon-([\w-]+(?:~\w+)?)/.exec(classes)?.[1] ?? null;
}
