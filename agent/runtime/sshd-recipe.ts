/**
 * What it takes to give an image OpenSSH's sshd, as plain data: which paths to look at, which
 * package manager to use, the Dockerfile of the derived image. No I/O: `sshd-layer.ts` does that.
 */

import { BERTH_REPOSITORIES } from '../../protocol/image-registry';

/** Where `berth-init` looks for sshd (its fixed PATH and its list): an image with one of these needs no layer. */
export const SSHD_PATHS = [
  '/usr/sbin/sshd',
  '/usr/bin/sshd',
  '/usr/local/sbin/sshd',
  '/usr/local/bin/sshd',
  '/sbin/sshd',
  '/bin/sshd',
] as const;

/** The shell `berth-init` runs under (and the layer's RUN): without it no workspace can start. */
export const SHELL_PATH = '/bin/sh';

/** A package manager that can install OpenSSH's server, with the command that does it. */
export interface PackageManager {
  name: 'apt-get' | 'apk' | 'dnf' | 'microdnf' | 'yum' | 'zypper';
  /** Where its binary lives in images that have it (any one is enough). */
  paths: readonly string[];
  /** Shell commands (joined with `&&`) that install openssh-server and drop the package caches. */
  install: string;
}

/** The package managers known, in the order they are preferred when an image has several. */
export const PACKAGE_MANAGERS: readonly PackageManager[] = [
  {
    name: 'apt-get',
    paths: ['/usr/bin/apt-get'],
    install:
      'export DEBIAN_FRONTEND=noninteractive && apt-get update && apt-get install -y --no-install-recommends openssh-server && rm -rf /var/lib/apt/lists/*',
  },
  { name: 'apk', paths: ['/sbin/apk', '/usr/sbin/apk', '/usr/bin/apk'], install: 'apk add --no-cache openssh-server' },
  { name: 'dnf', paths: ['/usr/bin/dnf'], install: 'dnf install -y openssh-server && dnf clean all' },
  {
    name: 'microdnf',
    paths: ['/usr/bin/microdnf'],
    install: 'microdnf install -y openssh-server && microdnf clean all',
  },
  { name: 'yum', paths: ['/usr/bin/yum'], install: 'yum install -y openssh-server && yum clean all' },
  {
    name: 'zypper',
    paths: ['/usr/bin/zypper'],
    install: 'zypper --non-interactive install --no-recommends openssh-server && zypper clean --all',
  },
];

/** Every path whose presence decides what an image needs. */
export const PROBE_PATHS: readonly string[] = [
  ...SSHD_PATHS,
  SHELL_PATH,
  ...PACKAGE_MANAGERS.flatMap((manager) => manager.paths),
];

/** What an image needs to run as a workspace. */
export type SshdPlan =
  { kind: 'ready' } | { kind: 'layer'; manager: PackageManager } | { kind: 'unsupported'; reason: string };

/**
 * The plan for an image, from the paths of {@link PROBE_PATHS} it has (files or links, not
 * directories): ready when it has sshd and a shell; a layer through the first package manager it
 * has; otherwise unsupported, with the reason and what to do, in words.
 */
export function planFor(image: string, present: ReadonlySet<string>): SshdPlan {
  if (!present.has(SHELL_PATH)) {
    return {
      kind: 'unsupported',
      reason: `image "${image}" has no ${SHELL_PATH}, which Berth's init needs to prepare the user and start sshd; use an image with a shell (and openssh-server installed, or a package manager)`,
    };
  }
  if (SSHD_PATHS.some((p) => present.has(p))) return { kind: 'ready' };
  const manager = PACKAGE_MANAGERS.find((m) => m.paths.some((p) => present.has(p)));
  if (manager) return { kind: 'layer', manager };
  const known = PACKAGE_MANAGERS.map((m) => m.name).join(', ');
  return {
    kind: 'unsupported',
    reason: `image "${image}" has no OpenSSH server (sshd) and no package manager Berth knows (${known}) to install one; install openssh-server in the image, or use an image that has one of those package managers`,
  };
}

/**
 * The shell script the layer runs as root: installs openssh-server, checks that an sshd is there
 * now, removes any host keys the package made (each workspace gets its own from the agent), and makes
 * pam_loginuid optional (an unprivileged container may not set the audit login uid), as the default
 * image does. It runs on a PATH of its own, whatever the image's says.
 */
export function installScript(manager: PackageManager): string {
  return [
    'set -e',
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'export PATH',
    `echo "berth: installing openssh-server with ${manager.name}"`,
    // `set -e` does not end the script at a failure inside an && list: the status is taken here.
    `${manager.install} || exit $?`,
    `sshd=; for c in ${SSHD_PATHS.join(' ')}; do if [ -f "$c" ] && [ -x "$c" ]; then sshd=$c; break; fi; done`,
    `if [ -z "$sshd" ]; then echo "berth: ${manager.name} installed openssh-server, yet no sshd is in ${SSHD_PATHS.join(', ')}" >&2; exit 1; fi`,
    'rm -f /etc/ssh/ssh_host_*',
    'mkdir -p /run/sshd',
    "if [ -f /etc/pam.d/sshd ]; then sed -i 's/^\\(session[[:space:]][[:space:]]*\\)required\\([[:space:]][[:space:]]*pam_loginuid\\.so\\)/\\1optional\\2/' /etc/pam.d/sshd; fi",
    'echo "berth: sshd is $sshd"',
  ].join('\n');
}

/** A USER an image may name: a user or uid, with an optional group or gid. */
export const SAFE_USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/;

/** The label on a derived image naming the id of the image it was made from. */
export const LAYER_BASE_LABEL = 'dev.berth.sshd-layer.base';

/** The repository of derived images: `berth-sshd:<first 12 hex digits of the base id>`. */
export const LAYER_REPOSITORY = BERTH_REPOSITORIES.sshdLayer;

/** The tag of the image derived from the image with id `baseId` (`sha256:<hex>`). */
export function layerTag(baseId: string): string {
  return `${LAYER_REPOSITORY}:${baseId.replace(/^sha256:/, '').slice(0, 12)}`;
}

/**
 * The Dockerfile of the derived image: FROM the base by id, root for the install (in exec form, so
 * the base's SHELL does not matter), then the base's USER again. ENV, WORKDIR, labels, ENTRYPOINT and
 * CMD are the base's, since nothing here sets them; the label names the base.
 */
export function layerDockerfile(baseId: string, baseUser: string, manager: PackageManager): string {
  // Both come from the engine's inspect of an image anyone could have made: neither may add a line.
  if (!/^sha256:[0-9a-f]{64}$/.test(baseId)) throw new Error(`not an image id: ${JSON.stringify(baseId)}`);
  if (baseUser && !SAFE_USER.test(baseUser)) throw new Error(`not a user: ${JSON.stringify(baseUser)}`);
  return [
    `FROM ${baseId}`,
    'USER 0',
    `RUN ${JSON.stringify(['/bin/sh', '-c', installScript(manager)])}`,
    ...(baseUser ? [`USER ${baseUser}`] : []),
    `LABEL ${LAYER_BASE_LABEL}="${baseId}"`,
    '',
  ].join('\n');
}
