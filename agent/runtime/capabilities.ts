import { readFileSync } from 'node:fs';

/**
 * Linux capabilities by number, as Docker names them (without `CAP_`): bit N of a capability set
 * is `CAPABILITIES[N]`. Bits past the end are capabilities newer than this list, which Docker may
 * not know either: they are never asked for.
 */
export const CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
] as const;

/**
 * The capability bounding set in `/proc/<pid>/status` text (its `CapBnd:` line, hex), or null when
 * the text has none (not Linux, or a /proc that hides it).
 */
export function parseBoundingSet(status: string): bigint | null {
  const match = /^CapBnd:\s*([0-9a-f]+)\s*$/im.exec(status);
  return match?.[1] ? BigInt(`0x${match[1]}`) : null;
}

/**
 * What a container may be given out of the capabilities a process with bounding set `bounding` can
 * grant: `add` those it has, `drop` those it lacks (also from Docker's default set). Docker's
 * `Privileged` asks for every capability, and fails ("unable to apply caps") where the bounding set
 * lacks one, as it lacks SYS_RESOURCE on some hosts; this asks only for what the host can grant.
 */
export function grantableCapabilities(bounding: bigint): { add: string[]; drop: string[] } {
  const add: string[] = [];
  const drop: string[] = [];
  CAPABILITIES.forEach((name, bit) => ((bounding >> BigInt(bit)) & 1n ? add : drop).push(name));
  return { add, drop };
}

let ownBoundingSet: bigint | null | undefined;

/**
 * The agent's own capability bounding set (read once from /proc/self/status): what the Docker
 * engine beside it can grant a container, since both run on the host with the same limits. Null
 * where it cannot be read; callers then ask for every capability and let Docker say what fails.
 */
export function agentBoundingSet(): bigint | null {
  if (ownBoundingSet === undefined) {
    try {
      ownBoundingSet = parseBoundingSet(readFileSync('/proc/self/status', 'utf8'));
    } catch {
      ownBoundingSet = null;
    }
  }
  return ownBoundingSet;
}
