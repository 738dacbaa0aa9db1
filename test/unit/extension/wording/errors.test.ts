import * as assert from 'node:assert/strict';
import { errorText, forVsCode } from '../../../../extension/wording/errors';

describe('wording: errors for a VS Code user', () => {
  it('leaves out advice meant for the command line, keeping the facts', () => {
    const cases: [string, string][] = [
      [
        'workspace "napper" is stopped; keepalives only while it runs (berth start napper)',
        'workspace "napper" is stopped; keepalives only while it runs',
      ],
      [
        'the container ran out of memory (limit 256 MiB); raise it with berth update',
        'the container ran out of memory (limit 256 MiB)',
      ],
      ['there is no user "x"; create one with: berth token create --user x', 'there is no user "x"'],
      [
        'cannot reach the Berth agent at ws://h:1 (ECONNREFUSED); is "berth serve" running there? Set --url or BERTH_URL',
        'cannot reach the Berth agent at ws://h:1 (ECONNREFUSED); is the Berth agent running there?',
      ],
      [
        'workspace "web" is busy creating; wait until that finishes and try again',
        'workspace "web" is busy creating; wait until that finishes and try again',
      ],
    ];
    for (const [message, words] of cases) assert.equal(forVsCode(message), words);
  });

  it('adds advice only for its own code, as a sentence of its own', () => {
    // Before, every `conflict` got "Another operation is running on this workspace." glued on.
    assert.equal(
      errorText(
        'keep napper running',
        'conflict',
        'workspace "napper" is stopped; keepalives only while it runs (berth start napper)',
      ),
      'Could not keep napper running: workspace "napper" is stopped; keepalives only while it runs.',
    );
    assert.equal(
      errorText('start web', 'unauthorized', 'this token is not valid for this agent'),
      'Could not start web: this token is not valid for this agent. Use "Berth: Reconnect Host" to enter a new token.',
    );
    assert.equal(
      errorText('start web', 'no_capacity', 'the host has 2 CPUs free.'),
      'Could not start web: the host has 2 CPUs free.',
    );
  });
});
