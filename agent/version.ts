declare const BERTH_VERSION: string | undefined;

/** The agent's version: set by esbuild from package.json; "dev" when run from sources. */
export const AGENT_VERSION: string = typeof BERTH_VERSION === 'string' ? BERTH_VERSION : 'dev';
