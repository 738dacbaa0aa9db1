import * as assert from 'node:assert/strict';
import { UsageError } from '../../../../cli/args';
import { secretFlags } from '../../../../cli/commands/create';

describe('cli: --secret and --secret-file', () => {
  it('gives none when neither flag is given', () => {
    assert.equal(secretFlags({}, 'usage'), undefined);
  });

  it('names the variable after the secret unless told, and the file /run/secrets/NAME unless told', () => {
    assert.deepEqual(
      secretFlags({ secret: ['TOKEN', 'gh=GH_TOKEN'], 'secret-file': ['deploy-key', 'ca:/home/dev/ca.pem'] }, 'u'),
      [
        { key: 'TOKEN', env: 'TOKEN' },
        { key: 'gh', env: 'GH_TOKEN' },
        { key: 'deploy-key', file: '/run/secrets/deploy-key' },
        { key: 'ca', file: '/home/dev/ca.pem' },
      ],
    );
  });

  it('asks for a variable when the name is none, in one line', () => {
    assert.throws(
      () => secretFlags({ secret: ['deploy-key'] }, 'u'),
      (err: unknown) => err instanceof UsageError && /--secret deploy-key=MY_VAR/.test(err.message),
    );
    assert.throws(() => secretFlags({ secret: ['=X'] }, 'u'), UsageError);
    assert.throws(() => secretFlags({ 'secret-file': [':/x'] }, 'u'), UsageError);
  });
});
