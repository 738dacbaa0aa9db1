import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { allowedBind, resolveBinds, volumeHomeProblem } from '../../../../agent/workspaces/volume-rules';
import type { BerthError } from '../../../../protocol';

describe('agent: volume rules (home, allow-listed binds)', () => {
  let dir: string;
  before(() => {
    dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'berth-binds-')));
    mkdirSync(path.join(dir, 'open', 'sets'), { recursive: true });
    mkdirSync(path.join(dir, 'closed'));
    symlinkSync(path.join(dir, 'closed'), path.join(dir, 'open', 'out'));
    symlinkSync(path.join(dir, 'open'), path.join(dir, 'open-link'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const refused = (code: string, why: RegExp) => (err: BerthError) => {
    assert.equal(err.code, code);
    assert.match(err.message, why);
    return true;
  };

  it('refuses a target at, in or above the home', () => {
    for (const target of ['/home/dev', '/home/dev/.cache', '/home']) {
      assert.match(volumeHomeProblem({ user: 'dev', volumes: [{ name: 'd', target }] }) ?? '', /the home \/home\/dev/);
    }
    assert.equal(volumeHomeProblem({ user: 'dev', volumes: [{ name: 'd', target: '/home/devs' }] }), undefined);
  });

  it('resolves an allowed bind to its real path, read-only when the admin or the spec says so', () => {
    const rw = { path: path.join(dir, 'open'), readOnly: false };
    const bind = (source: string, readOnly?: boolean) => ({
      volumes: [{ bind: source, target: '/sets', ...(readOnly === undefined ? {} : { readOnly }) }],
    });
    assert.deepEqual(resolveBinds({ allowBinds: [rw] }, bind(path.join(dir, 'open', 'sets'))), [
      { source: path.join(dir, 'open', 'sets'), target: '/sets', readOnly: false },
    ]);
    assert.equal(resolveBinds({ allowBinds: [rw] }, bind(path.join(dir, 'open'), true))[0]?.readOnly, true);
    assert.equal(
      resolveBinds({ allowBinds: [{ ...rw, readOnly: true }] }, bind(path.join(dir, 'open')))[0]?.readOnly,
      true,
    );
  });

  it('refuses a bind outside the list, one that leaves it by a link, one that is missing, and any where none is allowed', () => {
    const allowBinds = [{ path: path.join(dir, 'open'), readOnly: true }];
    const bind = (source: string) => ({ volumes: [{ bind: source, target: '/x' }] });
    assert.throws(
      () => resolveBinds({ allowBinds }, bind(path.join(dir, 'closed'))),
      refused('forbidden', /allows binds only from .*open \(read-only\)/),
    );
    assert.throws(
      () => resolveBinds({ allowBinds }, bind(path.join(dir, 'open', 'out'))),
      refused('forbidden', /through a link/),
    );
    assert.throws(
      () => resolveBinds({ allowBinds }, bind(path.join(dir, 'open', 'nope'))),
      refused('invalid_params', /does not exist on the host/),
    );
    // Outside the list, the host is not looked at: no "does not exist" for a path out of it.
    assert.throws(
      () => resolveBinds({ allowBinds }, bind('/nonexistent/x')),
      refused('forbidden', /allows binds only/),
    );
    assert.throws(() => resolveBinds({}, bind('/srv')), refused('forbidden', /allows no host folders .* --allow-bind/));
  });

  it('reads --allow-bind PATH[:ro] with its links resolved, and refuses a relative or missing folder', () => {
    const fail = (why: string) => new Error(why);
    assert.deepEqual(allowedBind(`${path.join(dir, 'open-link')}:ro`, fail), {
      path: path.join(dir, 'open'),
      readOnly: true,
    });
    assert.deepEqual(allowedBind(path.join(dir, 'open'), fail), { path: path.join(dir, 'open'), readOnly: false });
    assert.throws(() => allowedBind('srv', fail), /absolute host path/);
    assert.throws(() => allowedBind(path.join(dir, 'none'), fail), /cannot be resolved \(ENOENT\)/);
  });
});
