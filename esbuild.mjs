// Bundles the agent and CLI into dist/berth.js: one file that runs with plain `node`.
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

if (process.argv.includes('--watch')) {
  const context = await esbuild.context(agent);
  await context.watch();
} else {
  await esbuild.build(agent);
}
