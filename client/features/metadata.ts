import {
  BerthError,
  describeIssues,
  FEATURE_REFUSED,
  FeatureMetadata,
  MAX_FEATURE_METADATA_BYTES,
} from '../../protocol';

/** A feature's value in a definition's `features`: its options (a bare string is the `version` option). */
export type FeatureOptions = Record<string, string | boolean>;

/**
 * A `devcontainer-feature.json` (`where` names it in messages) read and checked: its size, JSON,
 * the schema (id, version, options with type/default/enum/proposals, containerEnv, installsAfter,
 * dependsOn), and none of the properties that would change how the container runs on the host.
 */
export function parseFeatureMetadata(text: string | Buffer, where: string): FeatureMetadata {
  const size = typeof text === 'string' ? Buffer.byteLength(text) : text.length;
  if (size > MAX_FEATURE_METADATA_BYTES) {
    throw new BerthError(
      'invalid_params',
      `${where}: ${size} bytes, more than the ${MAX_FEATURE_METADATA_BYTES} a devcontainer-feature.json may have`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.toString());
  } catch (err) {
    throw new BerthError('invalid_params', `${where}: not JSON (${(err as Error).message})`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new BerthError('invalid_params', `${where}: must be a JSON object with the feature's id and options`);
  }
  const parsed = FeatureMetadata.safeParse(raw);
  if (!parsed.success) throw new BerthError('invalid_params', `${where}: ${describeIssues(parsed.error)}`);
  const refused = Object.keys(FEATURE_REFUSED).filter((key) => {
    const value = (raw as Record<string, unknown>)[key];
    return !(value === undefined || value === false || (Array.isArray(value) && !value.length));
  });
  if (refused.length) {
    throw new BerthError(
      'invalid_params',
      `${where}: ${refused.map((key) => `${key}: refused: ${FEATURE_REFUSED[key]}`).join('; ')}; Berth cannot install feature ${parsed.data.id}: use another feature, or install the same in the image`,
    );
  }
  return parsed.data;
}

/** An option id as the environment variable install.sh sees (the spec's rule: non-word characters to `_`, upper case). */
export function optionEnvName(id: string): string {
  return id
    .replace(/[^\w_]/g, '_')
    .replace(/^[\d_]+/g, '_')
    .toUpperCase();
}

/**
 * The options of a feature as install.sh's environment: every option the feature declares, the
 * given value or else its default (a boolean as "true"/"false"; an option with neither is left
 * out). A given option the feature does not declare, a value of the wrong type, or one outside a
 * strict `enum` is refused, naming the feature (`key`) and the option.
 */
export function optionEnv(metadata: FeatureMetadata, given: FeatureOptions, key: string): Record<string, string> {
  const declared = metadata.options ?? {};
  const env: Record<string, string> = {};
  for (const [id, value] of Object.entries(given)) {
    const option = Object.hasOwn(declared, id) ? declared[id] : undefined;
    if (!option) {
      const known = Object.keys(declared);
      throw new BerthError(
        'invalid_params',
        `features."${key}".${id}: the feature ${metadata.id} has no option ${id}${known.length ? ` (it has ${known.join(', ')})` : ' (it takes none)'}`,
      );
    }
    if (typeof value !== 'string' && typeof value !== 'boolean') {
      throw new BerthError('invalid_params', `features."${key}".${id}: must be a string or a boolean`);
    }
    if (option.type === 'boolean' && typeof value !== 'boolean' && value !== 'true' && value !== 'false') {
      throw new BerthError('invalid_params', `features."${key}".${id}: must be true or false`);
    }
    if (option.enum && !option.enum.includes(String(value))) {
      throw new BerthError(
        'invalid_params',
        `features."${key}".${id}: ${JSON.stringify(value)} is not one of ${option.enum.map((v) => JSON.stringify(v)).join(', ')}`,
      );
    }
  }
  for (const [id, option] of Object.entries(declared)) {
    const value = Object.hasOwn(given, id) ? given[id] : option.default;
    if (value === undefined) continue;
    const name = optionEnvName(id);
    if (Object.hasOwn(env, name)) {
      throw new BerthError('invalid_params', `feature ${metadata.id}: options ${id} and another both become ${name}`);
    }
    env[name] = String(value);
  }
  return env;
}

/** A definition's value for one feature as its options: an object of options, or a string for `version`. */
export function givenOptions(value: unknown, key: string): FeatureOptions {
  if (typeof value === 'string') return { version: value };
  if (value === true || value === null) return {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new BerthError(
      'invalid_params',
      `features."${key}": must be an object of options (or a version string), such as { "version": "1" }`,
    );
  }
  if (Object.hasOwn(value, '__proto__')) {
    throw new BerthError('invalid_params', `features."${key}": an option must not be named __proto__`);
  }
  const options: FeatureOptions = {};
  for (const [id, option] of Object.entries(value)) {
    if (typeof option !== 'string' && typeof option !== 'boolean') {
      throw new BerthError('invalid_params', `features."${key}".${id}: must be a string or a boolean`);
    }
    options[id] = option;
  }
  return options;
}
