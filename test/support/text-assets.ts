import { readFileSync } from 'node:fs';
import Module from 'node:module';

/**
 * Loads the workspace init script as text under tsx, as esbuild.mjs's `berth-init-as-text` plugin
 * does in the bundle; without it, importing agent/workspaces/bootstrap.ts (and everything that
 * imports it) fails outside the bundle. Import this module before the agent modules.
 */
type Loader = (module: { exports: unknown }, filename: string) => void;
const extensions = (Module as unknown as { _extensions: Record<string, Loader> })._extensions;
const loadJs = extensions['.js'];
if (loadJs) {
  extensions['.js'] = (module, filename) => {
    if (/[\\/]berth-init$/.test(filename)) {
      module.exports = { __esModule: true, default: readFileSync(filename, 'utf8') };
      return;
    }
    loadJs(module, filename);
  };
}
