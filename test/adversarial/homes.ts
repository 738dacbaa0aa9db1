import * as assert from 'node:assert/strict';
import type { AgentClient } from '../../client/agent-client';
import { BerthError, type Workspace } from '../../protocol';
import { SMALL, readMarkers, writeMarker } from './support';

/** The error a request was refused with; fails when it succeeds. */
export async function refusal(promise: Promise<unknown>): Promise<BerthError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof BerthError) return err;
    throw err;
  }
  assert.fail('expected the agent to refuse');
}

/** The home volume of a workspace. */
export const volumeOf = (ws: Workspace) => `berth-${ws.id}-home`;

/** Creates a workspace and leaves a file in its home; returns the workspace and the file's content. */
export async function withHomeFile(client: AgentClient, name: string): Promise<{ ws: Workspace; content: string }> {
  const { workspace } = await client.request('workspace.create', { name, ...SMALL });
  const content = `home-of-${workspace.id}`;
  await writeMarker(volumeOf(workspace), content);
  return { ws: workspace, content };
}

/** The file {@link withHomeFile} left in the home of `ws` (null: it or the volume is gone). */
export async function homeFile(ws: Workspace): Promise<string | null> {
  return (await readMarkers([volumeOf(ws)])).get(volumeOf(ws)) ?? null;
}
