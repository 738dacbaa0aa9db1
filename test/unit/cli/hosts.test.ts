import * as assert from 'node:assert/strict';
import { DEFAULT_AGENT_URL } from '../../../protocol';
import {
  defaultHost,
  defaultHostName,
  HostName,
  hostNamed,
  parseConfig,
  resolveSettings,
  serializeConfig,
  type CliConfig,
} from '../../../cli/hosts';

const FILE = '/home/ada/.config/berth/config.json';
const lab = { ssh: { spec: 'lab', port: 7421 }, token: 'lab-token' };
const local = { url: 'ws://127.0.0.1:7420', token: 'local-token', identity: '/home/ada/.config/berth/id_ed25519' };
const two = (): CliConfig => ({ default: 'lab', hosts: { lab, local } });

describe('cli: the config file', () => {
  it('reads the named hosts and the default of the current form', () => {
    assert.deepEqual(plain(parseConfig({ default: 'lab', hosts: { lab, local } }, FILE)), two());
  });

  it('reads no file as no hosts', () => {
    assert.deepEqual(plain(parseConfig(undefined, FILE)), { hosts: {} });
  });

  it('reads the old one-host form as that host, named "local" for an agent on this machine, made the default', () => {
    assert.deepEqual(plain(parseConfig(local, FILE)), { default: 'local', hosts: { local } });
  });

  it('reads the old form of `berth host add` as a host named after its SSH alias', () => {
    assert.deepEqual(plain(parseConfig(lab, FILE)), { default: 'lab', hosts: { lab } });
  });

  it('writes a migrated old file in the new form with its token and identity', () => {
    const written = JSON.parse(serializeConfig(parseConfig(local, FILE))) as unknown;
    assert.deepEqual(written, { default: 'local', hosts: { local } });
  });

  it('keeps the keys it does not know, of the file and of its hosts, when writing it again', () => {
    const newer = {
      default: 'lab',
      hosts: { lab: { ...lab, ssh: { ...lab.ssh, jump: 'bastion' }, label: 'GPU box' } },
      theme: 'dark',
    };
    assert.deepEqual(JSON.parse(serializeConfig(parseConfig(newer, FILE))), newer);
  });

  it('refuses a file of the wrong shape, naming the file and the field', () => {
    assert.throws(() => parseConfig({ hosts: { lab: { url: 7 } } }, FILE), {
      message: new RegExp(`^${FILE} is not a valid Berth config \\(hosts\\.lab\\.url: .*\\); fix it or move it away$`),
    });
    assert.throws(() => parseConfig([], FILE), /expected a JSON object/);
  });

  it('refuses a host name with spaces or slashes', () => {
    assert.throws(() => parseConfig({ hosts: { 'a b': lab } }, FILE), /is not a valid Berth config \(hosts\.a b: /);
  });

  it('refuses names every object has, and never reads one as a host', () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      assert.throws(
        () => parseConfig({ hosts: { [name]: lab } }, FILE),
        new RegExp(`not a valid Berth config \\(hosts\\.${name}: `),
        name,
      );
      assert.equal(HostName.safeParse(name).success, false, name);
    }
    const config = parseConfig({ hosts: { lab } }, FILE);
    assert.equal(Object.getPrototypeOf(config.hosts), null);
    assert.equal('toString' in config.hosts, false);
    assert.throws(() => hostNamed(config, 'constructor', FILE), /no host named "constructor"/);
  });
});

/** The config as plain JSON objects (its hosts map has no prototype). */
function plain(config: unknown): unknown {
  return JSON.parse(JSON.stringify(config)) as unknown;
}

describe('cli: names of new hosts', () => {
  const cases: [Parameters<typeof defaultHostName>[0], string][] = [
    [{ url: 'ws://127.0.0.1:7420' }, 'local'],
    [{ url: 'ws://localhost:9000' }, 'local'],
    [{ url: 'ws://[::1]:7420' }, 'local'],
    [{ url: 'wss://gpu1.example.com:7420' }, 'gpu1.example.com'],
    [{ ssh: { spec: 'lab' } }, 'lab'],
    [{ ssh: { spec: 'alice@gpu1:2222' } }, 'gpu1'],
    [{}, 'local'],
  ];
  for (const [target, name] of cases) {
    it(`names ${JSON.stringify(target)} "${name}"`, () => assert.equal(defaultHostName(target), name));
  }
});

describe('cli: which host a command reaches', () => {
  const none = {};

  it('uses the default host without flags or environment', () => {
    const settings = resolveSettings(two(), none, none, FILE);
    assert.deepEqual(settings, {
      host: 'lab',
      url: 'ssh://lab',
      token: 'lab-token',
      identity: undefined,
      ssh: lab.ssh,
    });
  });

  it('uses the host --host names, with its token and identity', () => {
    const settings = resolveSettings(two(), { host: 'local' }, none, FILE);
    assert.deepEqual(settings, { host: 'local', url: local.url, token: 'local-token', identity: local.identity });
  });

  it('uses the host BERTH_HOST names, and --host over it', () => {
    assert.equal(resolveSettings(two(), none, { BERTH_HOST: 'local' }, FILE).host, 'local');
    assert.equal(resolveSettings(two(), { host: 'lab' }, { BERTH_HOST: 'local' }, FILE).host, 'lab');
  });

  it('takes --url and --token over --host, --host over BERTH_URL and BERTH_TOKEN, and those over the default', () => {
    const env = { BERTH_URL: 'ws://127.0.0.1:1', BERTH_TOKEN: 'env-token' };
    const flags = { url: 'ws://127.0.0.1:2', token: 'flag-token', host: 'local' };
    assert.deepEqual(resolveSettings(two(), flags, env, FILE), {
      host: 'local',
      url: 'ws://127.0.0.1:2',
      token: 'flag-token',
      identity: local.identity,
    });
    const named = resolveSettings(two(), { host: 'local' }, env, FILE);
    assert.equal(named.url, local.url, 'an explicit --host outranks the environment');
    assert.equal(named.token, 'local-token');
    const fromEnv = resolveSettings(two(), none, { ...env, BERTH_HOST: 'lab' }, FILE);
    assert.equal(fromEnv.url, 'ws://127.0.0.1:1');
    assert.equal(fromEnv.token, 'env-token');
    assert.equal(fromEnv.ssh, undefined, 'a URL given replaces the SSH tunnel');
  });

  it("takes a host's token for a URL given without a host only when the URL is that host's", () => {
    assert.equal(resolveSettings(two(), { url: 'ws://127.0.0.1:7420/' }, none, FILE).token, 'local-token');
    const elsewhere = resolveSettings(two(), { url: 'ws://127.0.0.1:9999' }, none, FILE);
    assert.deepEqual(elsewhere, { host: undefined, url: 'ws://127.0.0.1:9999', token: undefined, identity: undefined });
  });

  it('never sends the token of the host BERTH_HOST names to a URL given by --url or BERTH_URL', () => {
    const elsewhere = 'ws://127.0.0.1:9999';
    for (const [flags, env] of [
      [{ url: elsewhere }, { BERTH_HOST: 'local' }],
      [none, { BERTH_URL: elsewhere, BERTH_HOST: 'local' }],
    ] as const) {
      const settings = resolveSettings(two(), flags, env, FILE);
      assert.deepEqual(settings, { host: undefined, url: elsewhere, token: undefined, identity: undefined });
    }
    const same = resolveSettings(two(), { url: local.url }, { BERTH_HOST: 'lab' }, FILE);
    assert.equal(same.token, 'local-token', 'the host with that very URL still lends its token');
  });

  it('refuses an unknown host name, listing the known ones', () => {
    assert.throws(() => resolveSettings(two(), { host: 'gpu9' }, none, FILE), {
      code: 'not_found',
      message: `no host named "gpu9" in ${FILE} (known hosts: lab, local)`,
    });
  });

  it('reaches the agent on this machine without any config', () => {
    const settings = resolveSettings({ hosts: {} }, none, { BERTH_TOKEN: 't' }, FILE);
    assert.deepEqual(settings, { host: undefined, url: DEFAULT_AGENT_URL, token: 't', identity: undefined });
  });

  it('uses the only host when no default is set, and asks to pick one among several', () => {
    assert.equal(defaultHost({ hosts: { lab } }, FILE), 'lab');
    assert.throws(
      () => defaultHost({ hosts: { lab, local } }, FILE),
      /several hosts and no default.*berth host use NAME/,
    );
  });

  it('says how to fix a default that names no host', () => {
    assert.throws(
      () => resolveSettings({ default: 'gone', hosts: { lab } }, none, none, FILE),
      /the default host "gone" is not in .* \(known hosts: lab\); pick one with: berth host use NAME/,
    );
  });
});
