import * as path from 'node:path';
import type { CodeServer } from './code-server';
import type { Workbench } from './workbench';

const LOGS_DIR = path.resolve(__dirname, '..', '..', '..', 'test-results', 'e2e-logs');

/**
 * What an e2e suite keeps of a failed test (call it from `afterEach`): a screenshot and code-server's
 * logs under test-results/e2e-logs, named after the suite and the test, and on stderr the tail of
 * code-server's log and of the agent's (`agentLog`, when the suite has one).
 */
export async function keepFailure(
  test: Mocha.Test | undefined,
  suite: string,
  parts: { workbench?: Workbench; server?: CodeServer; agentLog?: () => Promise<string> | string },
): Promise<void> {
  if (test?.state !== 'failed') return;
  const name = `${suite}-failed-${test.title.replace(/\W+/g, '-').slice(0, 80)}`;
  await parts.workbench?.screenshot(name).catch(() => undefined);
  await parts.server?.saveLogs(path.join(LOGS_DIR, name)).catch(() => undefined);
  console.error(await parts.server?.logTail().catch(() => ''));
  if (parts.agentLog) console.error(`--- agent log (tail)\n${(await parts.agentLog()).slice(-3000)}`);
}
