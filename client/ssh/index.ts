/**
 * Everything that needs `ssh2` or `ssh-config`, bundled on its own as dist/remote.js: the extension
 * loads it only when a host is reached over SSH, so activation does not pay for ssh2 (about 150 KB).
 */
export { SshSession, type SessionOptions, type UnknownHostKey } from './session';
export { buildId, ensureAgent, mintToken, takeInstallLock, type AgentBundle, type RemoteAgentInfo } from './install';
export { jumpHostEntry, knownHostsName, parseSpec, resolveTarget, type SshTarget } from './target';
