import * as assert from 'node:assert/strict';
import { HelpRequest, UsageError, nearestOption, parse } from '../../../cli/args';
import { COMMANDS } from '../../../cli/main';
import { optionHelp, optionsHelp } from '../../../cli/options';

/** The options a command's parser takes, as its answer to `--help` says. */
async function helpOf(run: (argv: string[]) => Promise<number>, argv: string[]): Promise<HelpRequest> {
  try {
    await run(argv);
  } catch (err) {
    if (err instanceof HelpRequest) return err;
    throw err;
  }
  throw new Error(`${argv.join(' ')} ran instead of answering with its help`);
}

describe('cli: --help and unknown options', () => {
  it('describes every option of every command, with what it means', async () => {
    const undescribed: string[] = [];
    for (const command of COMMANDS) {
      const calls = command.name === 'host' ? [['--help'], ['add', '--help'], ['ls', '--help']] : [['--help']];
      for (const argv of calls) {
        const { options } = await helpOf((a) => command.run(a), argv);
        for (const name of Object.keys(options)) {
          if (!optionHelp(command.name, name)?.[1]) undescribed.push(`berth ${command.name} --${name}`);
        }
      }
    }
    assert.deepEqual(undescribed, []);
  });

  it("lists each option with its value, meaning and default in a command's help", async () => {
    const create = COMMANDS.find((c) => c.name === 'create');
    assert.ok(create);
    const { options } = await helpOf((a) => create.run(a), ['x', '--help']);
    const text = optionsHelp('create', options);
    assert.match(text, /^ {2}--cpus N +CPUs, fractions allowed \(default: the host's default\)$/m);
    assert.match(text, /^ {2}-q, --quiet +print no progress$/m);
    assert.match(text, /^ {2}--idle-timeout DUR +stop after this long idle, .*\(default: /m);
  });

  it('answers an unknown option in one line naming the nearest valid one', () => {
    const options = { cpus: { type: 'string' }, memory: { type: 'string' }, json: { type: 'boolean' } } as const;
    const usage = 'berth create NAME [--cpus N]';
    const refusal = (argv: string[]) => {
      try {
        parse(argv, options, usage);
      } catch (err) {
        assert.ok(err instanceof UsageError);
        return err;
      }
      throw new Error('accepted');
    };
    const cpu = refusal(['x', '--cpu', '1']);
    assert.equal(cpu.message, 'unknown option --cpu; did you mean --cpus?');
    assert.equal(cpu.brief, true, 'one line, without the usage');
    assert.equal(refusal(['--mem', '1g']).message, 'unknown option --mem; did you mean --memory?');
    assert.equal(refusal(['--zzzzzz']).message, 'unknown option --zzzzzz; berth create --help lists the options');
    assert.equal(refusal(['--cpus']).message, '--cpus needs a value');
    assert.equal(refusal(['--json=yes']).message, '--json takes no value');
    assert.equal(nearestOption('--jsno', options), '--json');
  });
});
