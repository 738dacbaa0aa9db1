import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { Workspace } from '../../protocol';
import { specOf } from '../../cli/definition/schema';
import { parseWorkspaceFile } from '../../cli/definition/yaml-file';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { docker } from '../support/docker';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

type Run = ReturnType<typeof berth>;

/** Asserts success and returns stdout. */
function succeeds(run: Run): string {
  assert.equal(run.code, 0, `exit code ${run.code}; stderr:\n${run.stderr}`);
  return run.stdout;
}

/** A usage mistake: exit code 2 and the one line of `message` on stderr. */
function refused(run: Run, message: RegExp): void {
  assert.equal(run.code, 2, `exit code ${run.code}; stdout:\n${run.stdout}`);
  assert.match(run.stderr, message);
}

describe('cli: the detail view (berth get, its history) and ls --state / --sort', function () {
  this.timeout(180_000);
  // Never idle unless a workspace asks: only `napper` stops for idleness, within seconds.
  const agent = useAgent({ args: ['--idle-timeout', '0', '--idle-interval', '1s', '--idle-warn-before', '1s'] });
  let env: NodeJS.ProcessEnv;
  const as = (args: string[]) => berth(args, env);
  const get = (name: string) => Workspace.parse(JSON.parse(succeeds(as(['get', name, '-o', 'json']))));
  const names = (args: string[]) =>
    z
      .array(Workspace)
      .parse(JSON.parse(succeeds(as(['ls', '--json', ...args]))))
      .map((ws) => ws.name);
  const small = ['--memory', '512m', '--cpus', '1'];

  before(() => (env = cliEnv(agent.url, agent.token('alice'))));
  after(async () => {
    if (env?.HOME) await fs.rm(env.HOME, { recursive: true, force: true });
  });

  it('records create, start, a user stop, a start and a stop outside Berth, with reasons and times', async () => {
    succeeds(as(['create', 'hist', ...small]));
    succeeds(as(['stop', 'hist']));
    succeeds(as(['start', 'hist']));
    const { id } = get('hist');
    docker('stop', `berth-${id}`);
    const stopped = await waitFor('hist stopped outside Berth', () => {
      const ws = get('hist');
      return ws.state === 'stopped' && ws;
    });
    const history = stopped.history ?? [];
    assert.deepEqual(
      history.map(({ event, reason }) => (reason ? `${event} (${reason})` : event)),
      ['created', 'started', 'stopped (user)', 'started', 'stopped (outside)'],
    );
    assert.match(history.at(-1)?.message ?? '', /^stopped outside Berth \(exit code \d+\)$/);
    const times = history.map((entry) => Date.parse(entry.at));
    assert.ok(
      times.every((t, i) => Number.isFinite(t) && (i === 0 || t >= (times[i - 1] ?? 0))),
      'in order',
    );
    assert.equal(history[0]?.at, stopped.createdAt);
  });

  it('records an idle stop with its reason', async () => {
    succeeds(as(['create', 'napper', ...small, '--idle-timeout', '3s']));
    const stopped = await waitFor(
      'napper stopped for idleness',
      () => {
        const ws = get('napper');
        return ws.state === 'stopped' && ws;
      },
      60_000,
      500,
    );
    assert.deepEqual(stopped.history?.at(-1)?.reason, 'idle');
    assert.equal(stopped.stopReason, 'idle');
    succeeds(as(['rm', 'napper', '--yes']));
  });

  it('shows the history and the last stop in berth get, and leaves the history out of ls', () => {
    const text = succeeds(as(['get', 'hist']));
    assert.match(text, /^Last stop +outside at \d{4}-\d\d-\d\d \d\d:\d\d \S+ \(stopped outside Berth/m);
    assert.match(text, /^History:$/m);
    assert.match(text, /^ {2}\d{4}-\d\d-\d\d \d\d:\d\d \S+ {2}stopped \(user\)$/m);
    const listed = JSON.parse(succeeds(as(['ls', '--json']))) as Record<string, unknown>[];
    assert.ok(listed.length > 0 && listed.every((ws) => !('history' in ws)), 'workspace.list stays light');
  });

  it('prints -o yaml with what -o json has: the definition, then the rest under status', () => {
    const json = Workspace.parse(JSON.parse(succeeds(as(['get', 'hist', '-o', 'json']))));
    const text = succeeds(as(['get', 'hist', '-o', 'yaml']));
    const { status } = parseYaml(text) as { status: Record<string, unknown> };
    const { spec, name, ...rest } = json;
    assert.deepEqual(status, rest);
    assert.ok(json.history?.length, 'with its history');
    assert.deepEqual(specOf(parseWorkspaceFile(text, 'get.yaml')), { ...spec, name });
  });

  it('filters ls by state and orders it by name, creation or activity', () => {
    succeeds(as(['create', 'aaa', ...small]));
    succeeds(as(['stop', 'aaa']));
    succeeds(as(['start', 'hist']));
    assert.deepEqual(names(['--state', 'running']), ['hist']);
    assert.deepEqual(names(['--state', 'stopped']), ['aaa']);
    assert.deepEqual(names(['--state', 'failed']), []);
    assert.deepEqual(names([]), ['hist', 'aaa']);
    assert.deepEqual(names(['--sort', 'name']), ['aaa', 'hist']);
    assert.deepEqual(names(['--sort', 'created']), ['aaa', 'hist']);
    assert.deepEqual(names(['--sort', 'activity']), ['hist', 'aaa']);
    assert.match(succeeds(as(['ls', '--state', 'failed'])), /^No failed workspaces \(2 in other states\)\.$/m);
  });

  it('records a restart as a stop and a start, and a change of limits while running as a recreate', () => {
    const before = get('hist').history?.length ?? 0;
    succeeds(as(['restart', 'hist']));
    succeeds(as(['update', 'hist', '--memory', '640m']));
    succeeds(as(['update', 'hist', '--idle-timeout', '2h']));
    const events = (get('hist').history ?? [])
      .slice(before)
      .map(({ event, reason }) => (reason ? `${event} (${reason})` : event));
    assert.deepEqual(events, ['stopped (user)', 'started', 'recreated', 'started', 'updated']);
  });

  it('refuses a state, an order or an output format it does not know, saying which it knows', () => {
    refused(
      as(['ls', '--state', 'sleeping']),
      /--state sleeping: not a state; use one of creating, starting, running, stopping, stopped, failed, deleting/,
    );
    refused(as(['ls', '--sort', 'size']), /--sort size: use name, created or activity/);
    refused(as(['get', 'hist', '-o', 'xml']), /-o xml: the output formats are json and yaml/);
  });
});
