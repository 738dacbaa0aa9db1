import * as assert from 'node:assert/strict';
import { buildVersion, compareVersions } from '../../../../client/ssh/versions';

describe('client ssh: ordering agent versions (no downgrade of a newer agent)', () => {
  const older = (a: string, b: string) =>
    assert.ok(compareVersions(a, b) < 0 && compareVersions(b, a) > 0, `${a} < ${b}`);

  it('orders releases by number, not by text', () => {
    older('0.1.0', '0.1.1');
    older('0.9.0', '0.10.0');
    older('1.2.3', '2.0.0');
    assert.equal(compareVersions('0.1.0', '0.1.0'), 0);
  });

  it('puts a prerelease before its release and after the release before it', () => {
    older('0.1.1-test', '0.1.1');
    older('0.1.0', '0.1.1-test');
    older('1.0.0-alpha', '1.0.0-beta');
    older('1.0.0-beta.2', '1.0.0-beta.11');
    older('1.0.0-1', '1.0.0-alpha');
    older('1.0.0-alpha', '1.0.0-alpha.1');
  });

  it('reads the version out of a build id', () => {
    assert.equal(buildVersion('0.1.1-test-0123456789ab'), '0.1.1-test');
    assert.equal(buildVersion('0.2.0-abcdefabcdef'), '0.2.0');
  });
});
