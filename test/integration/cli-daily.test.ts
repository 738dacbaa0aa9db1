import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { Workspace } from '../../protocol';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { useAgent } from '../support/use-agent';

type Run = ReturnType<typeof berth>;

/** Asserts success and returns stdout. */
function succeeds(run: Run): string {
  assert.equal(run.code, 0, `exit code ${run.code}; stderr:\n${run.stderr}`);
  return run.stdout;
}

describe('cli: a first week of daily use', function () {
  this.timeout(120_000);
  const agent = useAgent();
  let env: NodeJS.ProcessEnv;
  const as = (args: string[]) => berth(args, env);
  const list = () => z.array(Workspace).parse(JSON.parse(succeeds(as(['ls', '--json']))));

  before(() => {
    env = cliEnv(agent.url, agent.token('alice'));
  });

  after(async () => {
    if (env?.HOME) await fs.rm(env.HOME, { recursive: true, force: true });
  });

  it('creates a workspace', () => {
    succeeds(as(['create', 'daily', '--memory', '512m', '--cpus', '1']));
  });

  it('refuses a duration without a unit, asking for one', () => {
    const run = as(['keepalive', 'daily', '5']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^berth keepalive: DURATION 5: a duration needs a unit: 5s, 5m or 5h/);
  });

  it('ends a keepalive with keepalive NAME 0: the idle stop comes back to the last activity', () => {
    assert.match(
      succeeds(as(['keepalive', 'daily', '4h'])),
      /^daily: kept running until \d{4}-\d\d-\d\d \d\d:\d\d \S+/,
    );
    const kept = Date.parse(list()[0]?.idleStopAt ?? '');
    assert.match(succeeds(as(['keepalive', 'daily', '0'])), /^daily: keepalive ended; idle stop at /);
    const ended = Date.parse(list()[0]?.idleStopAt ?? '');
    // The agent's default idle timeout is 30m, the keepalive was 4h: ended, the stop is hours earlier.
    assert.ok(
      ended < kept - 3 * 3600_000,
      `idle stop ${new Date(ended).toISOString()} before ${new Date(kept).toISOString()}`,
    );
  });
});
