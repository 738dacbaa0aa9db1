import * as assert from 'node:assert/strict';
import { BerthError, MAX_FEATURE_METADATA_BYTES } from '../../../../protocol';
import { givenOptions, optionEnv, optionEnvName, parseFeatureMetadata } from '../../../../client/features/metadata';

const where = './hello/devcontainer-feature.json';
const parse = (value: unknown) => parseFeatureMetadata(JSON.stringify(value), where);
const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof BerthError, String(err));
    return err.message;
  }
  throw new Error('it was not refused');
};

describe('client: devcontainer feature metadata and options', () => {
  const hello = parse({
    id: 'hello',
    version: '1.2.0',
    options: {
      greeting: { type: 'string', default: 'hey', proposals: ['hey', 'hi'] },
      'install-tools': { type: 'boolean', default: true },
      flavour: { type: 'string', enum: ['plain', 'fancy'], default: 'plain' },
      '2fast': { type: 'string' },
    },
    containerEnv: { HELLO_HOME: '/opt/hello', PATH: '/opt/hello/bin:${PATH}' },
  });

  it('turns option ids into variables as the spec does: non-word characters to _, a leading digit to _, upper case', () => {
    assert.equal(optionEnvName('greeting'), 'GREETING');
    assert.equal(optionEnvName('install-tools'), 'INSTALL_TOOLS');
    assert.equal(optionEnvName('2fast'), '_FAST');
    assert.equal(optionEnvName('a.b'), 'A_B');
  });

  it('applies defaults, takes given values, writes booleans as "true"/"false", and leaves out an option with neither', () => {
    assert.deepEqual(optionEnv(hello, { greeting: 'hello there', 'install-tools': false }, './hello'), {
      GREETING: 'hello there',
      INSTALL_TOOLS: 'false',
      FLAVOUR: 'plain',
    });
    assert.deepEqual(optionEnv(hello, {}, './hello'), { GREETING: 'hey', INSTALL_TOOLS: 'true', FLAVOUR: 'plain' });
    // proposals are suggestions: a free value passes.
    assert.equal(optionEnv(hello, { greeting: 'yo' }, './hello').GREETING, 'yo');
  });

  it('refuses an undeclared option, a value outside a strict enum, and a non-boolean for a boolean', () => {
    assert.match(
      refusal(() => optionEnv(hello, { colour: 'red' }, './hello')),
      /features\."\.\/hello"\.colour: .*has no option colour \(it has greeting/,
    );
    assert.match(
      refusal(() => optionEnv(hello, { flavour: 'spicy' }, './hello')),
      /"spicy" is not one of "plain", "fancy"/,
    );
    assert.match(
      refusal(() => optionEnv(hello, { 'install-tools': 'yes' }, './hello')),
      /must be true or false/,
    );
  });

  it('reads a bare string as the version option, and refuses values that are not options', () => {
    assert.deepEqual(givenOptions('18', 'node'), { version: '18' });
    assert.deepEqual(givenOptions({}, 'x'), {});
    assert.match(
      refusal(() => givenOptions([1], 'x')),
      /must be an object of options/,
    );
    assert.match(
      refusal(() => givenOptions({ n: 3 }, 'x')),
      /features\."x"\.n: must be a string or a boolean/,
    );
    assert.match(
      refusal(() => givenOptions(JSON.parse('{"__proto__": "x"}'), 'x')),
      /__proto__/,
    );
  });

  it('validates devcontainer-feature.json: id, version, option types, defaults and enums', () => {
    assert.match(
      refusal(() => parse({ version: '1.0.0' })),
      /id: /,
    );
    assert.match(
      refusal(() => parse({ id: '../up' })),
      /id: must be letters/,
    );
    assert.match(
      refusal(() => parse({ id: 'x', version: 'one' })),
      /version: must be a semantic version/,
    );
    assert.match(
      refusal(() => parse({ id: 'x', options: { a: { type: 'number' } } })),
      /options\.a\.type/,
    );
    assert.match(
      refusal(() => parse({ id: 'x', options: { a: { type: 'boolean', default: 'yes' } } })),
      /default: must be a boolean/,
    );
    assert.match(
      refusal(() => parse({ id: 'x', options: { a: { type: 'string', enum: ['b'], default: 'c' } } })),
      /must be one of its enum/,
    );
    assert.match(
      refusal(() => parse({ id: 'x', options: { a: { type: 'string', enum: ['b'], proposals: ['b'] } } })),
      /not both/,
    );
    assert.match(
      refusal(() => parse({ id: 'x', containerEnv: { 'BAD NAME': 'v' } })),
      /containerEnv/,
    );
    assert.match(
      refusal(() => parseFeatureMetadata('{"id": "x",', where)),
      /not JSON/,
    );
    assert.match(
      refusal(() => parseFeatureMetadata('[]', where)),
      /must be a JSON object/,
    );
    assert.match(
      refusal(() =>
        parseFeatureMetadata(JSON.stringify({ id: 'x', description: 'd'.repeat(MAX_FEATURE_METADATA_BYTES) }), where),
      ),
      /more than the 65536/,
    );
  });

  it('refuses the properties that would change how the container runs on the host, by name', () => {
    const message = refusal(() =>
      parse({
        id: 'dind',
        privileged: true,
        capAdd: ['SYS_ADMIN'],
        mounts: [{ source: 'x', target: '/x', type: 'volume' }],
      }),
    );
    assert.match(message, /privileged: refused: a privileged container is root/);
    assert.match(message, /capAdd: refused: extra capabilities/);
    assert.match(message, /mounts: refused/);
    assert.match(message, /Berth cannot install feature dind/);
    // false and empty are no ask at all.
    assert.equal(parse({ id: 'ok', privileged: false, capAdd: [], init: false }).id, 'ok');
  });
});
