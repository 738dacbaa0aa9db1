// Bundles the agent and CLI into dist/berth.js (one file that runs with plain `node`) and the VS Code
// extension into dist/extension.js (minified).
// `node esbuild.mjs --watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

/** The workspace init script is a shell file (so the Dockerfile can COPY it); the agent embeds it as text. */
const initScriptAsText = {
  name: 'berth-init-as-text',
  setup(build) {
    build.onLoad({ filter: /[\\/]berth-init$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8'),
      loader: 'text',
    }));
  },
};

/**
 * zod re-exports every locale (`z.locales`), which defeats tree shaking; Berth's messages are its
 * own English ones, so the extension bundle keeps only zod's English locale.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: 'export { default as en } from "./en.js";',
      loader: 'js',
    }));
  },
};

/**
 * zod's JSON Schema conversion (to and from) is about a ninth of the extension bundle and Berth never
 * converts: its modules are replaced by stubs with the same exports, each of which throws if called.
 * (`createToJSONSchemaMethod` and its sibling are called while a schema is built, so they return the
 * thrower instead.) The names are read from the real module, so a zod upgrade cannot miss one.
 */
const ZOD_JSON_SCHEMA =
  /[\\/]zod[\\/]v4[\\/](core[\\/](to-json-schema|json-schema-processors|json-schema-generator)|classic[\\/]from-json-schema)\.js$/;
const zodWithoutJsonSchema = {
  name: 'zod-without-json-schema',
  setup(build) {
    build.onLoad({ filter: ZOD_JSON_SCHEMA }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const names = new Set([...source.matchAll(/^export (?:const|function|class) (\w+)/gm)].map((m) => m[1]));
      for (const [, list] of source.matchAll(/^export \{([^}]*)\}/gm)) {
        for (const item of list.split(','))
          names.add(
            item
              .trim()
              .split(/\s+as\s+/)
              .pop(),
          );
      }
      const makers = new Set(['createToJSONSchemaMethod', 'createStandardJSONSchemaMethod']);
      const lines = [...names]
        .filter(Boolean)
        .map((name) =>
          makers.has(name) ? `export const ${name} = () => unsupported;` : `export const ${name} = unsupported;`,
        );
      return {
        contents: `const unsupported = () => { throw new Error("zod's JSON Schema conversion is not part of the Berth extension"); };\n${lines.join('\n')}\n`,
        loader: 'js',
      };
    });
  },
};

/**
 * dockerode loads gRPC and protobuf at start-up for BuildKit sessions, and docker-modem loads ssh2 for
 * ssh:// engines; Berth uses neither (it talks to the engine's Unix socket), and they cost the agent
 * about 20 MB of memory. They are replaced by stubs that fail loudly if ever called.
 */
const UNUSED_BY_AGENT = /^(@grpc\/grpc-js|@grpc\/proto-loader|protobufjs|ssh2)$/;
const leaveOutUnused = {
  name: 'leave-out-unused',
  setup(build) {
    build.onResolve({ filter: UNUSED_BY_AGENT }, (args) => ({ path: args.path, namespace: 'left-out' }));
    build.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => ({
      contents: `const fail = () => { throw new Error(${JSON.stringify(`${args.path} is not part of the berth bundle`)}); };
module.exports = new Proxy(fail, { get: () => fail });`,
      loader: 'js',
    }));
  },
};

/** @type {esbuild.BuildOptions} */
const agent = {
  entryPoints: ['cli/berth.ts'],
  outfile: 'dist/berth.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  define: { BERTH_VERSION: JSON.stringify(pkg.version) },
  plugins: [initScriptAsText, leaveOutUnused, zodEnglishOnly],
  // Without comments and in ASCII, V8 keeps the source at one byte per character (a few MB less);
  // identifiers stay as written, so stack traces in the agent's log still read.
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'ascii',
  logLevel: 'warning',
  legalComments: 'none',
};

/** @type {esbuild.BuildOptions} */
const extension = {
  entryPoints: ['extension/extension.ts'],
  outfile: 'dist/extension.js',
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // `vscode` is the host's; ws's native accelerators are optional and it works without them.
  external: ['vscode', 'bufferutil', 'utf-8-validate'],
  plugins: [zodEnglishOnly, zodWithoutJsonSchema],
  // zod probes `navigator` at load; in the extension host that read logs a migration error.
  define: { navigator: 'undefined' },
  logLevel: 'warning',
  legalComments: 'none',
  metafile: true,
};

/**
 * ssh2 loads its optional native parts (the `sshcrypto.node` addon, `cpu-features`) in try/catch and
 * falls back to JavaScript without them; they stay outside the bundle, where nothing provides them.
 */
const leaveOutNative = {
  name: 'leave-out-native',
  setup(build) {
    build.onResolve({ filter: /\.node$|^cpu-features$/ }, (args) => ({ path: args.path, external: true }));
  },
};

/**
 * The SSH side of the extension (ssh2, ssh-config: hosts reached over SSH) as dist/remote.js, which
 * the extension and the CLI load only when such a host is used: neither activation nor the agent pays for it.
 */
/** @type {esbuild.BuildOptions} */
const remote = {
  ...extension,
  entryPoints: ['client/ssh/index.ts'],
  outfile: 'dist/remote.js',
  plugins: [zodEnglishOnly, zodWithoutJsonSchema, leaveOutNative],
};

const builds = [agent, extension, remote];
if (process.argv.includes('--watch')) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
