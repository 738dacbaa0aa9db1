/**
 * The Berth wire protocol: schemas and types shared by the agent, the CLI and the extension.
 * No I/O here, and no imports of `vscode` or `node:*` (enforced by lint).
 */
export * from './version';
export * from './errors';
export * from './spec';
export * from './workspace';
export * from './methods';
export * from './usage';
export * from './events';
export * from './frames';
export * from './exec';
export * from './homes';
export * from './build-record';
export * from './build';
export * from './docker-in-docker';
export * from './devcontainer';
export * from './secrets';
export * from './clone';
export * from './clone-methods';
export * from './settings';
export * from './admit';
export * from './archive';
export * from './backup';
export * from './features';
export * from './volumes';
export * from './volume-methods';
