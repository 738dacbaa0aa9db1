/**
 * What Berth does with each devcontainer.json property it does not translate: refused ones (with
 * why), and known ones it ignores (with why). Anything else is listed as unknown and ignored.
 */

/** Properties refused outright: a create with them would be unsafe on a shared host, or miss part of the environment. */
export const REFUSED: Record<string, string> = {
  initializeCommand:
    'it runs on the host before the container exists, and a Berth host is shared by everyone; run it yourself before creating, and remove it',
  privileged: 'a privileged container is root on the shared host; remove it',
  runArgs:
    "raw docker run flags bypass the limits and isolation Berth gives every workspace (ports, mounts, capabilities, network); remove it and say what you need with devcontainer.json's own properties",
  capAdd: 'extra capabilities weaken the isolation between workspaces on a shared host; remove it',
  securityOpt:
    'security options (seccomp, AppArmor unconfined) weaken the isolation between workspaces on a shared host; remove it',
  appPort:
    "it publishes ports on the host's network, where Berth publishes only each workspace's SSH port, on 127.0.0.1; use forwardPorts instead",
  dockerComposeFile: 'Docker Compose definitions are not supported; use image or build',
  service: 'Docker Compose definitions are not supported; use image or build',
  runServices: 'Docker Compose definitions are not supported; use image or build',
};

/** Properties Berth knows and leaves aside, with why (each gives a warning line). */
export const IGNORED: Record<string, string> = {
  name: 'the workspace takes the name it is created with',
  customizations: 'editor settings and extensions are not applied yet',
  workspaceFolder: "Berth mounts no project folder; the home directory is the workspace's persistent folder",
  workspaceMount: "Berth mounts no project folder; the home directory is the workspace's persistent folder",
  shutdownAction: "Berth's idle policy decides when a workspace stops",
  overrideCommand: 'Berth always runs its own init (sshd); set a startup command with --command',
  init: "sshd is the container's first process and reaps its children",
  updateRemoteUserUID: 'the user is made by Berth with its own uid',
  userEnvProbe: "commands get the container environment and the definition's env",
  otherPortsAttributes: 'ports are not forwarded yet',
};

/** Why `hostRequirements.storage` is left aside. */
export const STORAGE_IGNORED = 'disk space is not checked (Berth measures disk use instead)';
/** Why `hostRequirements.gpu.cores` is left aside. */
export const GPU_CORES_IGNORED = 'nvidia-smi reports no core count, so it is not checked';

/** Properties translated into the spec (see translate.ts); `$schema` is allowed and means nothing. */
export const TRANSLATED = new Set([
  '$schema',
  'image',
  'build',
  'dockerFile',
  'context',
  'containerEnv',
  'remoteEnv',
  'remoteUser',
  'containerUser',
  'hostRequirements',
  'forwardPorts',
  'portsAttributes',
  'onCreateCommand',
  'updateContentCommand',
  'postCreateCommand',
  'postStartCommand',
  'postAttachCommand',
  'waitFor',
  'features',
  'overrideFeatureInstallOrder',
  'mounts',
]);
