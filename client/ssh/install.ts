import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PROTOCOL_VERSION } from '../../protocol/version';
import { RemoteError } from './errors';
import type { SshSession } from './session';
import { buildVersion, compareVersions } from './versions';

/** Where the agent lives on the host, relative to the user's home (SFTP and commands start there). */
const ROOT = '.local/share/berth';
const LOG = '.local/state/berth/agent.log';
/** At each (re)start, a log grown past this is kept as agent.log.1 (replacing the one before) and begun anew. */
const LOG_MAX_BYTES = 10 * 1024 * 1024;
const UNIT = 'berth-agent';

/** The agent bundle the extension carries, and how to run it on the host. */
export interface AgentBundle {
  /** Local path of dist/berth.js. */
  file: string;
  /** The version it was built as (the extension's). */
  version: string;
  /**
   * The agent's loopback port on the host. By default a free one is picked at the first start and
   * kept (~/.local/share/berth/agent.port): each user of a shared host runs their own agent.
   */
  port?: number;
  /** More `berth serve` flags (e.g. `--ports`). */
  serveArgs?: string[];
}

/** The running agent on a host, as `ensureAgent` left it. */
export interface RemoteAgentInfo {
  port: number;
  /** `<version>-<sha256 prefix>` of the bundle that runs. */
  build: string;
  /** The Node.js binary it runs under. */
  node: string;
  /** What `ensureAgent` had to do. */
  action: 'reused' | 'installed' | 'upgraded' | 'started';
}

/** `<version>-<12 hex of the bundle's sha256>`: a rebuilt bundle of the same version still differs. */
export function buildId(bundle: AgentBundle): string {
  const hash = createHash('sha256').update(readFileSync(bundle.file)).digest('hex').slice(0, 12);
  return `${bundle.version}-${hash}`;
}

/** Quotes a word for a POSIX shell. */
function sh(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Whether process `$pid` is an agent of ours, where /proc tells: the pid file outlives a reboot, and
 * its number may by then belong to another of the user's processes, which must not be stopped.
 */
const OURS = `{ [ ! -r "/proc/$pid/cmdline" ] || grep -q /berth.js "/proc/$pid/cmdline"; }`;

/**
 * Looks around on the host: a Node.js ≥ 20 (PATH, then common places), the build installed, whether
 * the agent runs, whether `systemctl --user` works. Plain POSIX sh read from stdin, whatever the login shell.
 */
const PROBE = `
node=; old=
for n in "$(command -v node 2>/dev/null)" "$HOME/.local/bin/node" /usr/local/bin/node /opt/node/bin/node "$HOME"/.nvm/versions/node/*/bin/node; do
  [ -n "$n" ] && [ -x "$n" ] || continue
  v=$("$n" --version 2>/dev/null) || continue
  case "$v" in v[2-9][0-9].*) node=$n; break ;; esac
  [ -n "$old" ] || old="$n $v"
done
echo "node=$node"
echo "old=$old"
echo "user=$(id -un 2>/dev/null)"
echo "build=$(cat ${ROOT}/current 2>/dev/null)"
echo "port=$(cat ${ROOT}/agent.port 2>/dev/null)"
pid=$(cat ${ROOT}/agent.pid 2>/dev/null)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && ${OURS}; then echo "running=$pid"; fi
# Only with lingering: otherwise the user's systemd stops its services when their last session ends.
if systemctl --user show-environment >/dev/null 2>&1 && loginctl show-user "$(id -un)" -p Linger 2>/dev/null | grep -qx Linger=yes; then echo systemd=yes; fi
`;

/** Parses `key=value` lines. */
function fields(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) map.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return map;
}

/** What an agent's `GET /healthz` says about it (agents before protocol 2's builds name no protocol). */
interface Health {
  version?: string;
  protocol?: number;
}

/**
 * Asks `GET /healthz` on the agent's loopback port through the SSH connection: its answer, or null
 * when nothing answers 200 (a server there that says nothing within 5 s is not an agent).
 */
async function agentHealth(session: SshSession, port: number): Promise<Health | null> {
  const channel = await session.channel('127.0.0.1', port).catch(() => null);
  if (!channel) return null;
  return new Promise((resolve) => {
    let response = '';
    const timer = setTimeout(() => done(), 5_000);
    const done = () => {
      clearTimeout(timer);
      channel.destroy();
      if (!/^HTTP\/1\.[01] 200 /.test(response)) return resolve(null);
      try {
        resolve(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as Health);
      } catch {
        resolve({});
      }
    };
    channel.on('data', (chunk: Buffer) => (response += chunk.toString('utf8')));
    channel.on('close', done);
    channel.on('error', done);
    channel.write('GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n');
  });
}

/** Whether the agent answers `GET /healthz` on its loopback port. */
export async function healthy(session: SshSession, port: number): Promise<boolean> {
  return (await agentHealth(session, port)) !== null;
}

/** What the probe found on the host. */
interface Found {
  probe: Map<string, string>;
  node: string;
  build: string;
  /** The port the agent was last started on, if any. */
  kept: number | undefined;
}

/** Runs the probe; a host without a suitable Node.js is an error that says what to install. */
async function look(session: SshSession, bundle: AgentBundle): Promise<Found> {
  const probe = fields((await session.exec('/bin/sh -s', PROBE)).stdout);
  const node = probe.get('node');
  if (!node) {
    const old = probe.get('old');
    throw new RemoteError(
      'not_found',
      `Berth needs Node.js 20 or newer on ${session.target.hostName}${old ? ` (found ${old})` : ''}; install it (e.g. apt install nodejs) and try again`,
    );
  }
  return { probe, node, build: buildId(bundle), kept: Number(probe.get('port')) || undefined };
}

/**
 * The running agent, on the port asked for and answering, when it is this bundle's or a newer
 * version that speaks this client's protocol: an older client never downgrades the agent that its
 * user's newer clients installed (they would replace each other at every connect). A newer agent
 * of another protocol is refused with what to do: update this client.
 */
async function reusable(session: SshSession, bundle: AgentBundle, found: Found): Promise<RemoteAgentInfo | null> {
  const { probe, node, build, kept } = found;
  const running = probe.get('build');
  if (!kept || !running || !probe.has('running') || (bundle.port ?? kept) !== kept) return null;
  if (running === build) return (await healthy(session, kept)) ? { port: kept, build, node, action: 'reused' } : null;
  const version = buildVersion(running);
  // Older, or a rebuild of the same version (development): replaced by this bundle.
  if (compareVersions(version, bundle.version) <= 0) return null;
  const health = await agentHealth(session, kept);
  if (!health) return null;
  if (health.protocol !== PROTOCOL_VERSION) {
    throw new RemoteError(
      'conflict',
      `${session.target.hostName} runs a newer Berth agent (${version}, protocol ${health.protocol ?? 'unknown'}) than this client (${bundle.version}, protocol ${PROTOCOL_VERSION}); update this client (the VS Code extension or berth) rather than replace the agent your newer clients use`,
    );
  }
  return { port: kept, build: running, node, action: 'reused' };
}

/**
 * Makes sure the host runs the agent of this bundle, as the SSH user: checks the build there and,
 * when it is missing or another, uploads it to ~/.local/share/berth/<build>/ over SFTP, stops the old
 * agent and starts the new one (a systemd user service where `systemctl --user` works and the user
 * lingers, else a detached process with a pid file), then waits until it answers /healthz through
 * the SSH connection.
 * Installing holds a lock on the host, so two windows connecting at once do not both start one.
 */
export async function ensureAgent(session: SshSession, bundle: AgentBundle): Promise<RemoteAgentInfo> {
  const found = await look(session, bundle);
  const running = await reusable(session, bundle, found);
  if (running) return running;
  await takeInstallLock(session);
  try {
    // Another client may have installed or started it while this one waited for the lock.
    const now = await look(session, bundle);
    return (await reusable(session, bundle, now)) ?? (await install(session, bundle, now));
  } finally {
    await releaseInstallLock(session).catch(() => undefined);
  }
}

/**
 * The sshd process that serves this SSH connection (the nearest `sshd` or `sshd-session` ancestor),
 * as `<pid> <start time>`: it lives exactly as long as the connection. Empty without /proc.
 */
const CONNECTION = `conn=; p=$$
while [ -n "$p" ] && [ "$p" -gt 1 ] 2>/dev/null && [ -r /proc/$p/stat ]; do
  case "$(cat /proc/$p/comm 2>/dev/null)" in sshd*) conn="$p $(sed 's/.*) //' /proc/$p/stat | cut -d' ' -f20)"; break;; esac
  p=$(sed 's/.*) //' /proc/$p/stat | cut -d' ' -f2)
done`;

/**
 * Takes the install lock (a directory: `mkdir` is atomic, and it records the SSH connection that
 * holds it), waiting up to a minute for a live holder. A lock whose connection has gone (a client
 * that lost its network or was closed mid-install) is taken over at once; one with no holder on
 * record (a host without /proc) once it is two minutes old.
 */
const LOCK = `mkdir -p ${ROOT}; i=0
${CONNECTION}
while ! mkdir ${ROOT}/.lock 2>/dev/null; do
  held=$(cat ${ROOT}/.lock/holder 2>/dev/null)
  if [ -n "$held" ]; then
    set -- $held
    if [ "$(sed 's/.*) //' /proc/$1/stat 2>/dev/null | cut -d' ' -f20)" != "$2" ]; then rm -rf ${ROOT}/.lock; continue; fi
  elif [ -n "$(find ${ROOT}/.lock -maxdepth 0 -mmin +2 2>/dev/null)" ]; then rm -rf ${ROOT}/.lock; continue; fi
  i=$((i+1)); [ $i -lt 600 ] || { echo "another Berth install on this host has held ~/${ROOT}/.lock for a minute; if none is under way, remove it (rm -r ~/${ROOT}/.lock) and connect again" >&2; exit 1; }
  sleep 0.1
done
[ -z "$conn" ] || echo "$conn" > ${ROOT}/.lock/holder`;

/** Takes the host's install lock for this SSH connection (exported for tests). */
export async function takeInstallLock(session: SshSession): Promise<void> {
  await run(session, LOCK);
}

async function releaseInstallLock(session: SshSession): Promise<void> {
  await run(session, `rm -rf ${ROOT}/.lock`);
}

/** Uploads the bundle if the host lacks this build, then (re)starts the agent and waits for it. */
async function install(session: SshSession, bundle: AgentBundle, found: Found): Promise<RemoteAgentInfo> {
  const { probe, node, build, kept } = found;
  let port = bundle.port ?? kept ?? (await freePort(session, node));
  // Something else (another user's agent) answers there while ours does not run: move to a free port.
  if (!probe.has('running') && !bundle.port && (await healthy(session, port))) port = await freePort(session, node);
  let action: RemoteAgentInfo['action'] = 'started';
  if (probe.get('build') !== build) {
    action = probe.get('build') ? 'upgraded' : 'installed';
    await run(session, `mkdir -p ${ROOT}/${build} .local/state/berth`);
    await session.upload(bundle.file, `${ROOT}/${build}/berth.js.part`);
    await run(
      session,
      `mv -f ${ROOT}/${build}/berth.js.part ${ROOT}/${build}/berth.js && echo ${sh(build)} > ${ROOT}/current`,
    );
  }
  const serve = [
    node,
    `${ROOT}/${build}/berth.js`,
    'serve',
    '--listen',
    `127.0.0.1:${port}`,
    ...(bundle.serveArgs ?? []),
  ];
  await run(session, `${stopScript()}; echo ${port} > ${ROOT}/agent.port; ${ROTATE_LOG}`);
  await run(session, probe.has('systemd') ? systemdStart(serve) : detachedStart(serve));
  const deadline = Date.now() + 30_000;
  while (!(await healthy(session, port))) {
    if (Date.now() > deadline) {
      const log = await session.exec('/bin/sh -s', `tail -n 15 ${LOG} 2>/dev/null`);
      throw new RemoteError(
        'timeout',
        `the Berth agent on ${session.target.hostName} did not answer on 127.0.0.1:${port} within 30 s; its log (~/${LOG}) ends:\n${log.stdout.trim()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // Earlier builds are no longer run by anyone (one agent per user): only the running one is kept.
  if (action === 'upgraded') {
    await run(session, `for d in ${ROOT}/*/; do [ "$d" = ${sh(`${ROOT}/${build}/`)} ] || rm -rf "$d"; done`);
  }
  return { port, build, node, action };
}

/** A loopback port nothing listens on at the host, as its kernel hands it out. */
async function freePort(session: SshSession, node: string): Promise<number> {
  const script = `const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})`;
  const port = Number((await run(session, `${sh(node)} -e ${sh(script)}`)).trim());
  if (!Number.isInteger(port) || port <= 0) {
    throw new RemoteError('internal', `no free port found on ${session.target.hostName}`);
  }
  return port;
}

/**
 * Stops the agent this installer started (if any): SIGTERM, up to 10 s to shut down cleanly, then
 * SIGKILL, so that the new one finds its port free.
 */
function stopScript(): string {
  // Whatever the probe picks now: a service started while lingering was on is stopped too.
  const service = `systemctl --user stop ${UNIT} 2>/dev/null; `;
  return `${service}pid=$(cat ${ROOT}/agent.pid 2>/dev/null); if [ -n "$pid" ] && ${OURS} && kill "$pid" 2>/dev/null; then i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; kill -0 "$pid" 2>/dev/null && kill -9 "$pid"; fi; rm -f ${ROOT}/agent.pid`;
}

/** Keeps the agent's log bounded: the agent logs little, so turning it over at each start suffices. */
const ROTATE_LOG = `if [ "$(wc -c < ${LOG} 2>/dev/null || echo 0)" -gt ${LOG_MAX_BYTES} ]; then mv -f ${LOG} ${LOG}.1; fi`;

/** Starts the agent detached from the SSH session (its own session, no terminal), recording its pid. */
function detachedStart(serve: string[]): string {
  const command = serve.map(sh).join(' ');
  return `s=; command -v setsid >/dev/null 2>&1 && s=setsid; nohup $s ${command} >> ${LOG} 2>&1 < /dev/null & echo $! > ${ROOT}/agent.pid`;
}

/** Starts the agent as a systemd user service (restarted on failure), recording its pid. */
function systemdStart(serve: string[]): string {
  const unit = [
    '[Unit]',
    'Description=Berth agent',
    '[Service]',
    'WorkingDirectory=%h',
    `ExecStart=${serve.map((word) => (word.startsWith('.') ? `%h/${word}` : word)).join(' ')}`,
    'Restart=on-failure',
    `StandardError=append:%h/${LOG}`,
    '[Install]',
    'WantedBy=default.target',
  ].join('\n');
  return `mkdir -p .config/systemd/user && printf '%s\\n' ${sh(unit)} > .config/systemd/user/${UNIT}.service && systemctl --user daemon-reload && systemctl --user restart ${UNIT} && systemctl --user show -p MainPID --value ${UNIT} > ${ROOT}/agent.pid`;
}

/** Runs a POSIX sh command that must succeed (fed to /bin/sh, whatever the user's login shell is). */
async function run(session: SshSession, command: string): Promise<string> {
  const result = await session.exec('/bin/sh -s', command);
  if (result.code !== 0) {
    throw new RemoteError(
      'internal',
      `a setup step failed on ${session.target.hostName} (exit ${result.code}): ${result.stderr.trim() || command}`,
    );
  }
  return result.stdout;
}

/**
 * Mints a token for the SSH user with the agent's own `berth token create` on the host (possible
 * because the agent runs as that very user): no token is copied by hand.
 */
export async function mintToken(session: SshSession, agent: RemoteAgentInfo, label?: string): Promise<string> {
  // The running agent is this client's build or a newer one (never older), so it knows --label.
  const labelled = label ? ` --label ${sh(label.slice(0, 64))}` : '';
  const command = `${sh(agent.node)} ${ROOT}/${agent.build}/berth.js token create --user "$(id -un)"${labelled} --json`;
  const output = await run(session, command);
  try {
    return (JSON.parse(output) as { token: string }).token;
  } catch {
    throw new RemoteError(
      'internal',
      `berth token create on ${session.target.hostName} printed no token: ${output.trim()}`,
    );
  }
}
