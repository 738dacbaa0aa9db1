import * as assert from 'node:assert/strict';
import { ImageRef, WorkspaceChanges, WorkspaceSpecInput, describeIssues } from '../../../protocol';
import { imageRefProblem } from '../../../protocol/image-ref';

const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('protocol: image references follow Docker’s grammar', () => {
  const valid = [
    'berth-workspace:latest',
    'debian',
    'debian:bookworm',
    'library/debian:12.5-slim',
    'ghcr.io/org/image:1.2',
    `ghcr.io/org/image@${digest}`,
    `ghcr.io/org/image:1.2@${digest}`,
    'localhost:5000/team/tool',
    '127.0.0.1:5000/x',
    '[::1]:5000/x:v1',
    'my_org/my__image',
    'my-org/my--image',
    'Registry.Example.COM/org/image',
    digest,
  ];
  for (const ref of valid) {
    it(`accepts ${ref.length > 48 ? `${ref.slice(0, 45)}…` : ref}`, () => {
      assert.equal(imageRefProblem(ref), null);
      assert.ok(ImageRef.safeParse(ref).success);
    });
  }

  const invalid: [string, RegExp][] = [
    ['x/../../../127.0.0.1:9/x', /"\." and "\.\." are not path components/],
    ['x/./y', /"\." and "\.\." are not path components/],
    ['a//b', /empty path component/],
    ['/a', /empty path component/],
    ['a/', /empty path component/],
    ['Debian:bookworm', /must be lowercase/],
    ['docker.io/Library/debian', /must be lowercase/],
    ['a b', /space or control character/],
    ['a\u0000b', /space or control character/],
    ['', /is empty/],
    ['a?b', /does not follow the grammar/],
    ['a#b', /does not follow the grammar/],
    ['a___b', /does not follow the grammar/],
    [`a:${'t'.repeat(129)}`, /invalid tag/],
    ['a:-x', /invalid tag/],
    ['a@sha256:abc', /invalid digest/],
    [`a${'b'.repeat(255)}`, /name of 256 characters; Docker allows 255/],
    ['a'.repeat(600), /more than 512/],
  ];
  for (const [ref, reason] of invalid) {
    it(`refuses ${JSON.stringify(ref.length > 40 ? `${ref.slice(0, 37)}…` : ref)}, saying why and what a reference is`, () => {
      const parsed = ImageRef.safeParse(ref);
      assert.ok(!parsed.success);
      const message = describeIssues(parsed.error);
      assert.match(message, reason);
      assert.match(message, /an image reference is \[REGISTRY\[:PORT\]\/\]PATH\[:TAG\]\[@DIGEST\]/);
    });
  }

  it('answers hostile input of the longest length at once (no catastrophic backtracking)', () => {
    const hostile = ['a'.repeat(511) + '!', 'a-'.repeat(255) + '!', 'a.'.repeat(255) + '/!', `a${'_'.repeat(510)}`];
    const started = process.hrtime.bigint();
    for (const ref of hostile) assert.notEqual(imageRefProblem(ref), null);
    assert.ok(process.hrtime.bigint() - started < 50_000_000n, 'took 50 ms or more');
  });

  it('holds create and update requests to the grammar', () => {
    const create = WorkspaceSpecInput.safeParse({ name: 'x', image: 'x/../../../127.0.0.1:9/x' });
    assert.ok(!create.success);
    assert.match(describeIssues(create.error), /^image: "\." and "\.\." are not path components/);
    const update = WorkspaceChanges.safeParse({ image: 'a//b' });
    assert.ok(!update.success);
    assert.match(describeIssues(update.error), /^image: has an empty path component/);
  });
});
