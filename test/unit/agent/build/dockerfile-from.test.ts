import * as assert from 'node:assert/strict';
import { baseImages, instructions } from '../../../../agent/build/dockerfile-from';

/** The refs `text` builds on (asserting it could tell). */
function refs(text: string, args: Record<string, string> = {}): string[] {
  const found = baseImages(text, 'Dockerfile', args);
  assert.equal(found.problem, null);
  return (found.images ?? []).map((image) => `${image.line} ${image.instruction} ${image.ref}`);
}

describe('agent: the images a Dockerfile builds on (the ones Docker would pull)', () => {
  it('names each FROM image with its line, but not scratch nor its own stages', () => {
    const text = [
      '# syntax comment',
      'FROM --platform=linux/amd64 node:20 AS build',
      'RUN make',
      'FROM scratch',
      'from BUILD',
      'FROM 10.0.0.5:5000/team/base@sha256:' + 'a'.repeat(64),
    ].join('\n');
    assert.deepEqual(refs(text), ['2 FROM node:20', `6 FROM 10.0.0.5:5000/team/base@sha256:${'a'.repeat(64)}`]);
  });

  it('names COPY and ADD --from images, not stage names or indexes', () => {
    const text =
      'FROM a AS one\nFROM b\nCOPY --from=one /x /x\nCOPY --from=0 /y /y\nCOPY --chown=1 --from=evil.example/i:1 /z /z\nADD --from=other:2 /q /q\n';
    assert.deepEqual(refs(text), ['1 FROM a', '2 FROM b', '5 COPY --from evil.example/i:1', '6 ADD --from other:2']);
  });

  it("resolves FROM's build arguments as Docker does: ARGs before the first FROM, given values first", () => {
    const text = 'ARG BASE=debian:12\nARG TAG\nFROM ${BASE}\nFROM img:${TAG:-latest}\nFROM $BASE-slim\n';
    assert.deepEqual(refs(text), ['3 FROM debian:12', '4 FROM img:latest', '5 FROM debian:12-slim']);
    assert.deepEqual(refs(text, { BASE: 'registry.local/x', TAG: '7' }), [
      '3 FROM registry.local/x',
      '4 FROM img:7',
      '5 FROM registry.local/x-slim',
    ]);
  });

  it('joins continued lines and skips comments inside them', () => {
    assert.deepEqual(refs('FROM \\\n# a comment\n  quay.io/x:1 \\\n  AS s\nFROM s\n'), ['1 FROM quay.io/x:1']);
  });

  it('cannot tell a FROM whose argument has no value, nor a --from with a variable: says so with the line', () => {
    const missing = baseImages('ARG BASE\nFROM ${BASE}\n', 'Dockerfile', {});
    assert.match(missing.problem ?? '', /^Dockerfile line 2: FROM \$\{BASE\} uses a build argument with no value/);
    const late = baseImages('FROM a\nARG X=evil/i\nCOPY --from=$X /a /a\n', 'Dockerfile', {});
    assert.match(late.problem ?? '', /^Dockerfile line 3: COPY --from=\$X uses a variable/);
    assert.match(baseImages('FROM\n', 'Dockerfile', {}).problem ?? '', /line 1: FROM names no image/);
  });

  it('an ARG after the first FROM does not count for FROM (Docker leaves it unset there)', () => {
    const found = baseImages('FROM a\nARG B=c\nFROM ${B}\n', 'Dockerfile', {});
    assert.match(found.problem ?? '', /line 3: FROM \$\{B\} uses a build argument with no value/);
  });
});

describe('agent: a Dockerfile read as Docker reads it (parser directives, continuations)', () => {
  it('honours the escape directive: a backtick continues the line, a backslash then does not', () => {
    const text = '# escape=`\nFROM `\n  10.0.0.5:5000/x\nRUN dir C:\\\n';
    assert.deepEqual(
      instructions(text).map((i) => `${i.line} ${i.text}`),
      ['2 FROM    10.0.0.5:5000/x', '4 RUN dir C:\\'],
    );
    assert.deepEqual(refs(text), ['2 FROM 10.0.0.5:5000/x']);
  });

  it('takes a directive only at the very top: after a comment or instruction it is a comment', () => {
    const text = '# a comment\n# escape=`\nFROM a `\nRUN b\n';
    assert.deepEqual(
      instructions(text).map((i) => i.text),
      ['FROM a `', 'RUN b'],
    );
  });
});
