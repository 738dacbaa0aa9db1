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

/** @type {esbuild.BuildOptions} */
const agent = {
  entryPoints: ['agent/berth.ts'],
  outfile: 'dist/berth.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Optional native accelerators of ssh2 (pulled in by dockerode); both fall back to pure JS.
  external: ['cpu-features', '*.node'],
  define: { BERTH_VERSION: JSON.stringify(pkg.version) },
  plugins: [initScriptAsText],
  logLevel: 'warning',
  legalComments: 'none',
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
  plugins: [zodEnglishOnly],
  logLevel: 'warning',
  legalComments: 'none',
  metafile: true,
};

const builds = [agent, extension];
if (process.argv.includes('--watch')) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
