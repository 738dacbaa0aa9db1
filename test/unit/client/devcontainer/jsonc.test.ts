import * as assert from 'node:assert/strict';
import { BerthError } from '../../../../protocol';
import { lineColumn, parseJsonc } from '../../../../client/devcontainer/jsonc';

describe('client: devcontainer.json as JSONC', () => {
  it('reads comments and trailing commas, as the spec allows', () => {
    const text =
      '// a definition\n{\n  /* the image */ "image": "debian", // trailing\n  "forwardPorts": [3000,],\n}\n';
    const doc = parseJsonc(text, 'dc.json');
    assert.deepEqual({ ...doc.value }, { image: 'debian', forwardPorts: [3000] });
  });

  it("names a syntax error's file, line and column", () => {
    const text = '{\n  "image": "debian"\n  "remoteUser": "dev"\n}\n';
    assert.throws(
      () => parseJsonc(text, '/p/.devcontainer/devcontainer.json'),
      (err: unknown) =>
        err instanceof BerthError &&
        err.code === 'invalid_params' &&
        err.message.startsWith('/p/.devcontainer/devcontainer.json:3:3: "," expected'),
    );
  });

  it('says where a string is left open', () => {
    assert.throws(() => parseJsonc('{"image": "deb', 'f.json'), /^BerthError: f\.json:1:11: string not closed/);
  });

  it('refuses a top level that is not an object', () => {
    assert.throws(() => parseJsonc('[1, 2]', 'f.json'), /f\.json:1:1: a devcontainer\.json must hold one JSON object/);
  });

  it('points at a property by its key, and at the closest part that exists', () => {
    const doc = parseJsonc('{\n  "a": 1,\n  "b": {\n    "c": [1, 2]\n  }\n}', 'f.json');
    assert.equal(doc.at(['a']), 'f.json:2:3');
    assert.equal(doc.at(['b', 'c']), 'f.json:4:5');
    assert.equal(doc.at(['b', 'c', 1]), 'f.json:4:14');
    assert.equal(doc.at(['b', 'missing']), 'f.json:3:3');
  });

  it('counts lines and columns from 1', () => {
    assert.equal(lineColumn('ab\ncd', 0), '1:1');
    assert.equal(lineColumn('ab\ncd', 4), '2:2');
  });
});
