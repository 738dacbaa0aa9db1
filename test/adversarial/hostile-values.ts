import * as os from 'node:os';
import { WorkspaceSpec, type RequestId } from '../../protocol';
import { MiB } from './support';

/** JSON text put into a frame as it is (for keys such as `__proto__` that an object literal cannot carry). */
export class Raw {
  constructor(readonly json: string) {}
}

/** JSON text of `value`, with {@link Raw} parts spliced in verbatim. */
export function json(value: unknown): string {
  if (value instanceof Raw) return value.json;
  if (Array.isArray(value)) return `[${value.map(json).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}:${json(item)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A string of `n` characters. */
export const x = (n: number) => 'x'.repeat(n);
/** JSON text of lists nested `depth` deep. */
export const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** A valid value of every spec field: the wrong types of each are derived from it. */
export const VALID: { [K in keyof WorkspaceSpec]-?: unknown } = {
  name: 'hx-valid',
  image: 'berth-workspace:latest',
  cpus: 0.25,
  memory: 128 * MiB,
  gpus: 0,
  gpuModel: 'H100',
  gpuMemory: 1024 ** 3,
  gpuUuids: ['GPU-00000000-0000-0000-0000-000000000000'],
  env: { LANG: 'C.UTF-8' },
  command: 'true',
  user: 'dev',
  timezone: 'Europe/Berlin',
  idleTimeout: 3600,
  attachedGrace: 3600,
  maxLifetime: 86400,
  build: { context: '/tmp/ctx', dockerfile: 'Dockerfile', args: {}, hash: 'a'.repeat(64) },
  description: 'Training runs for the paper',
  docker: false,
  gpusOptional: false,
  forwardPorts: [{ port: 8080, label: 'web' }],
  lifecycle: { postStartCommand: 'true', waitFor: 'postStartCommand' },
  devcontainer: '/home/dev/proj/.devcontainer/devcontainer.json',
  secrets: [],
  clone: { url: 'file:///srv/repo.git', branch: 'main', into: 'src/app' },
  volumes: [{ name: 'hx-data', target: '/data', readOnly: false }],
};

const DURATIONS: [string, unknown][] = [
  ['a negative number', -1],
  ['a fraction', 1.5],
  ['1e13 seconds', 1e13],
  ['1e308 seconds', 1e308],
];

/** Hostile values of every spec field (wrong types are added to each from {@link VALID}). */
export const HOSTILE: { [K in keyof WorkspaceSpec]-?: [string, unknown][] } = {
  name: [
    ['an empty string', ''],
    ['64 characters', `a${x(63)}`],
    ['a megabyte of characters', `a${x(1_000_000)}`],
    ['".."', '../x'],
    ['a NUL byte', 'a\u0000b'],
    ['"__proto__"', '__proto__'],
    ['a lone surrogate', 'a\ud800'],
  ],
  image: [
    ['".." segments that reach a host and port', 'x/../../../127.0.0.1:9/x'],
    ['"//"', 'a//b'],
    ['a leading ".."', '../x'],
    ['a trailing ".."', 'x/..'],
    ['a "." segment', 'a/./b'],
    ['capitals in the repository', 'Berth-Workspace:latest'],
    ['an empty tag', 'x:'],
    ['two tags', 'x:a:b'],
    ['a malformed digest', 'x@sha256:zz'],
    ['256 characters', x(256)],
    ['a NUL byte', 'x\u0000y'],
    ['a space', 'x y'],
    ['a query string', 'x?y=1'],
  ],
  cpus: [
    ['a negative number', -1],
    ['zero', 0],
    ['below 0.01', 0.001],
    ['more than the host has', os.cpus().length + 1],
    ['1e13', 1e13],
    ['1e308', 1e308],
  ],
  memory: [
    ['a negative number', -1],
    ['zero', 0],
    ['a fraction', 64 * MiB + 0.5],
    ['just under 64 MiB', 64 * MiB - 1],
    ['1e300', 1e300],
  ],
  gpus: [
    ['a negative number', -1],
    ['a fraction', 1.5],
    ['65', 65],
    ['1e13', 1e13],
  ],
  gpuModel: [
    ['an empty string', ''],
    ['65 characters', x(65)],
    ['a NUL byte', 'H1\u000000'],
  ],
  gpuMemory: [
    ['a negative number', -1],
    ['a fraction', 1.5],
    ['1e300', 1e300],
  ],
  gpuUuids: [
    ['an empty list', []],
    ['".." in a UUID', ['GPU-../../x']],
    ['a UUID of another form', ['nope']],
    ['65 UUIDs', Array.from({ length: 65 }, (_, i) => `GPU-${i}`)],
    ['a NUL byte', ['GPU-\u0000']],
  ],
  env: [
    ['a name starting with a digit', { '1A': 'x' }],
    ['an empty name', { '': 'x' }],
    ['a hyphen in a name', { 'A-B': 'x' }],
    ['a NUL byte in a value', { A: 'x\u0000y' }],
    ['a NUL byte in a name', { 'A\u0000': 'x' }],
    ['a value over 32 KiB', { A: x(32 * 1024 + 1) }],
    ['NVIDIA_VISIBLE_DEVICES', { NVIDIA_VISIBLE_DEVICES: 'all' }],
    ['a "__proto__" name', new Raw('{"__proto__":"x"}')],
    ['a nested value', { A: { B: 'c' } }],
    ['a value nested 100,000 deep', new Raw(`{"A":${nested(100_000)}}`)],
  ],
  command: [
    ['8 KiB and one byte', x(8 * 1024 + 1)],
    ['a NUL byte', 'true\u0000id'],
  ],
  user: [
    ['root', 'root'],
    ['an empty string', ''],
    ['33 characters', `a${x(32)}`],
    ['".."', '../etc'],
    ['capitals', 'Dev'],
    ['a NUL byte', 'dev\u0000'],
  ],
  timezone: [
    ['a path out of the zone directory', '../../etc/passwd'],
    ['".." inside', 'Europe/../../x'],
    ['an absolute path', '/etc/passwd'],
    ['65 characters', x(65)],
    ['a NUL byte', 'UTC\u0000'],
  ],
  idleTimeout: DURATIONS,
  attachedGrace: DURATIONS,
  maxLifetime: DURATIONS,
  build: [
    [
      'a Dockerfile outside the context',
      { context: '/c', dockerfile: '../Dockerfile', args: {}, hash: 'a'.repeat(64) },
    ],
    ['a hash that is not SHA-256', { context: '/c', dockerfile: 'Dockerfile', args: {}, hash: 'abc' }],
    ['an argument named "1x"', { context: '/c', dockerfile: 'Dockerfile', args: { '1x': 'v' }, hash: 'a'.repeat(64) }],
    ['an unknown field', { context: '/c', dockerfile: 'Dockerfile', args: {}, hash: 'a'.repeat(64), x: 1 }],
  ],
  description: [
    ['201 characters', x(201)],
    ['a newline', 'a\nb'],
    ['an escape sequence', 'a\u001b[2Jb'],
  ],
  docker: [
    ['the string "true"', 'true'],
    ['the number 1', 1],
  ],
  gpusOptional: [
    ['the string "true"', 'true'],
    ['1', 1],
  ],
  forwardPorts: [
    ['port 0', [{ port: 0 }]],
    ['port 65536', [{ port: 65536 }]],
    ['65 ports', Array.from({ length: 65 }, (_, i) => ({ port: i + 1 }))],
    ['a host with a slash', [{ port: 80, host: 'a/b' }]],
    ['an unknown field', [{ port: 80, bind: '0.0.0.0' }]],
  ],
  lifecycle: [
    ['an unknown stage', { initializeCommand: 'rm -rf /' }],
    ['an empty command', { postStartCommand: '' }],
    ['a NUL byte', { postStartCommand: 'true\u0000id' }],
    ['an empty argv', { postStartCommand: [] }],
    ['a command named __proto__', { postStartCommand: new Raw('{"__proto__":"true"}') }],
    ['an unknown waitFor', { waitFor: 'never' }],
  ],
  devcontainer: [
    ['an empty string', ''],
    ['4097 characters', x(4097)],
  ],
  secrets: [
    ['a bad name', [{ key: '../x', env: 'X' }]],
    ['both env and file', [{ key: 'A', env: 'A', file: '/run/secrets/A' }]],
    ['neither env nor file', [{ key: 'A' }]],
    ['a relative path', [{ key: 'A', file: 'a/b' }]],
    ['a ".." path', [{ key: 'A', file: '/home/dev/../../etc/shadow' }]],
    ['a path under /proc', [{ key: 'A', file: '/proc/1/environ' }]],
    ['another name under /run/secrets', [{ key: 'A', file: '/run/secrets/B' }]],
    [
      'one variable twice',
      [
        { key: 'A', env: 'X' },
        { key: 'B', env: 'X' },
      ],
    ],
    ['65 entries', Array.from({ length: 65 }, (_, i) => ({ key: `S${i}`, env: `S${i}` }))],
    ['"__proto__"', [{ key: '__proto__', env: 'X' }]],
  ],
  clone: [
    ['an option as URL', { url: '--upload-pack=touch /tmp/pwned' }],
    ['an ext:: transport', { url: 'ext::sh -c touch% /tmp/pwned' }],
    ['a URL with a space', { url: 'https://host/a b.git' }],
    ['a URL with a newline', { url: 'https://host/a\n.git' }],
    ['a bare word', { url: 'repo' }],
    ['2049 characters', { url: `https://h/${x(2039)}` }],
    ['a branch as option', { url: 'https://h/r.git', branch: '-b' }],
    ['a branch with ..', { url: 'https://h/r.git', branch: 'a..b' }],
    ['into ..', { url: 'https://h/r.git', into: '../../etc' }],
    ['into an absolute path', { url: 'https://h/r.git', into: '/etc' }],
    ['into a/./b', { url: 'https://h/r.git', into: 'a/./b' }],
    ['a bad secret name', { url: 'https://h/r.git', secret: '../key' }],
    ['an unknown field', { url: 'https://h/r.git', depth: 1 }],
  ],
  volumes: [
    ['a relative target', [{ name: 'd', target: 'data' }]],
    ['the target /', [{ name: 'd', target: '/' }]],
    ['a ".." target', [{ name: 'd', target: '/data/../etc' }]],
    ['a "//" target', [{ name: 'd', target: '//data' }]],
    ['a target over /etc', [{ name: 'd', target: '/etc' }]],
    ['a target above /etc/ssh', [{ name: 'd', target: '/etc/ssh' }]],
    ['a target over /run/berth', [{ name: 'd', target: '/run/berth' }]],
    ['a target over /.berth', [{ name: 'd', target: '/.berth' }]],
    ['the home as target', [{ name: 'd', target: '/home/dev' }]],
    ['a target in the home', [{ name: 'd', target: '/home/dev/.cache' }]],
    ['a target above the home', [{ name: 'd', target: '/home' }]],
    ['a NUL in the target', [{ name: 'd', target: '/da\u0000ta' }]],
    [
      'one target twice',
      [
        { name: 'a', target: '/data' },
        { name: 'b', target: '/data' },
      ],
    ],
    ['neither name nor bind', [{ target: '/data' }]],
    ['both name and bind', [{ name: 'd', bind: '/srv', target: '/data' }]],
    ['a name with a slash', [{ name: '../x', target: '/data' }]],
    ['a name with a dot', [{ name: 'a.b', target: '/data' }]],
    ['a relative bind', [{ bind: 'srv/x', target: '/data' }]],
    ['a bind with ":"', [{ bind: '/srv:/etc', target: '/data' }]],
    ['33 volumes', Array.from({ length: 33 }, (_, i) => ({ name: `v${i}`, target: `/v${i}` }))],
    ['an unknown field', [{ name: 'd', target: '/data', driver: 'local' }]],
  ],
};

/** Values of the wrong JSON type for a field whose valid value is `valid`. */
export function wrongTypes(valid: unknown): [string, unknown][] {
  const types: [string, unknown][] = [
    ['a string', 'A=B'],
    ['a number', 42],
    ['a boolean', true],
    ['a list', ['A=B']],
    ['an object', {}],
  ];
  const kind = (value: unknown) => (Array.isArray(value) ? 'list' : typeof value);
  return types.filter(([, value]) => kind(value) !== kind(valid));
}

/** Every field of the workspace spec, from its schema: a new field without hostile values fails the suite. */
export const SPEC_FIELDS = Object.keys(WorkspaceSpec.shape) as (keyof WorkspaceSpec)[];

/** A request frame as JSON text, `params` with any {@link Raw} parts spliced in. */
export const request = (method: string, params: unknown, id: RequestId = 1): Raw =>
  new Raw(`{"id":${JSON.stringify(id)},"method":${JSON.stringify(method)},"params":${json(params)}}`);
