import * as assert from 'node:assert/strict';
import { Volumes, describeVolume, targetProblem } from '../../../protocol';

describe('protocol: volumes of a workspace', () => {
  it('takes absolute, normalized targets outside the system and Berth’s own paths', () => {
    for (const target of ['/data', '/mnt/datasets', '/workspace/cache', '/opt/models', '/var/cache/pip', '/srv']) {
      assert.equal(targetProblem(target), undefined, target);
    }
  });

  it('refuses each hostile target, saying why', () => {
    const cases: [string, RegExp][] = [
      ['data', /absolute/],
      ['/', /must not be \//],
      ['/data/', /normalized/],
      ['/data//x', /normalized/],
      ['/data/./x', /normalized/],
      ['/data/../etc', /normalized/],
      ['/etc', /\/etc/],
      ['/etc/ssh', /lie in .*\/etc/],
      ['/run/berth', /\/run/],
      ['/run', /\/run/],
      ['/var/lib/docker/x', /\/var\/lib\/docker/],
      ['/var/lib', /\/var\/lib\/docker/],
      ['/var', /\/var\/lib\/docker/],
      ['/.berth', /\/.berth/],
      ['/proc/1', /\/proc/],
      ['/usr/local', /\/usr/],
      ['/da:ta', /":"/],
      ['/da\nta', /control/],
    ];
    for (const [target, why] of cases) assert.match(targetProblem(target) ?? '', why, JSON.stringify(target));
  });

  it('takes a named volume or a bind, never both or neither, each target once', () => {
    assert.ok(
      Volumes.safeParse([
        { name: 'data', target: '/data' },
        { bind: '/srv/sets', target: '/sets', readOnly: true },
      ]).success,
    );
    const problems = (value: unknown) => {
      const parsed = Volumes.safeParse(value);
      return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    };
    assert.match(problems([{ target: '/data' }])[0] ?? '', /either name .* or bind/);
    assert.match(problems([{ name: 'a', bind: '/srv', target: '/data' }])[0] ?? '', /not both or neither/);
    assert.match(
      problems([
        { name: 'a', target: '/data' },
        { name: 'b', target: '/data' },
      ])[0] ?? '',
      /^1\.target: \/data is mounted twice/,
    );
    assert.match(problems([{ name: 'a.b', target: '/data' }])[0] ?? '', /^0\.name: must be 1–100 letters/);
    assert.match(problems([{ bind: 'rel', target: '/data' }])[0] ?? '', /^0\.bind: must be an absolute host path/);
  });

  it('describes a volume for people', () => {
    assert.equal(describeVolume({ name: 'data', target: '/data' }), 'data → /data');
    assert.equal(
      describeVolume({ bind: '/srv/sets', target: '/sets', readOnly: true }),
      'host /srv/sets → /sets (read-only)',
    );
  });
});
