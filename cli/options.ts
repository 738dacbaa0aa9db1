/**
 * What each option means, for `--help`: `[VALUE, meaning (default)]`, by option name, or by
 * `command.option` where a command gives a name a meaning of its own. A test walks every command and
 * checks that each of its options is described here.
 */
const OPTIONS: Record<string, [string, string]> = {
  host: ['NAME', 'the saved host to use (default: BERTH_HOST, then the default host: berth host ls)'],
  url: ['URL', "the agent's URL (default: BERTH_URL, then the host's)"],
  token: [
    'TOKEN|-',
    "the token, - to read it from stdin (default: BERTH_TOKEN, then the saved host's; a token on the command line shows in the process list)",
  ],
  json: ['', 'print JSON for scripts instead of text'],
  help: ['', 'show this help'],
  quiet: ['', 'print no progress'],
  image: ['IMG', "the container image (default: the host's default image, berth info)"],
  cpus: ['N', "CPUs, fractions allowed (default: the host's default)"],
  memory: ['SIZE', "memory such as 512m or 8g (default: the host's default)"],
  gpus: ['N', 'GPUs to reserve (default: 0)'],
  'gpu-model': ['TEXT', 'only GPUs whose model contains TEXT, such as H100 (default: any)'],
  'gpu-memory': ['SIZE', 'only GPUs with at least this memory, such as 40g (default: any)'],
  'gpu-uuid': ['UUID', 'this very GPU (berth gpus shows them); repeat for more (default: any free)'],
  env: ['KEY=VALUE', 'an environment variable of the workspace; repeat for more (default: none)'],
  command: ['CMD', "the startup command, run by sh -c (default: the image's)"],
  timezone: ['TZ', "the time zone inside, such as Europe/Berlin (default: the image's)"],
  'idle-timeout': ['DUR', "stop after this long idle, such as 2h; 0 for never (default: the agent's, berth idle)"],
  'attached-grace': ['DUR', "stop after this long attached with nobody present (default: the agent's)"],
  'max-lifetime': ['DUR', "stop after this long running, whatever happens; 0 for never (default: the agent's)"],
  'wait-gpus': ['DUR', 'queue this long for busy GPUs, such as 10m (default: fail at once when none are free)'],
  user: ['NAME', 'act for this user (admins only; default: you)'],
  'create.user': ['NAME', 'create it for this user (admins only; default: you)'],
  'token.user': ['NAME', 'the user of the token (create: required; ls, revoke: that user only)'],
  'user.state-dir': [
    'DIR',
    "the agent's state directory, whose users file and workspaces are read (default: $BERTH_STATE_DIR, ~/.local/state/berth, or /var/lib/berth as root)",
  ],
  'user.yes': ['', 'remove without asking (needed without a terminal)'],
  'backup.output': ['FILE', 'the archive to write (required; written as FILE.partial, renamed when complete)'],
  live: [
    '',
    'copy a running workspace without stopping it (files may change meanwhile; default: stop it for the copy)',
  ],
  'restore.name': ['NAME', "the restored workspace's name (default: the one in the backup)"],
  'move.to': ['HOST', 'the saved host to move it to (required; berth host ls)'],
  owner: ['USER', "the workspace's owner (admins, for another user's; default: you)"],
  clear: ['FLAG', "put a setting back to none or the agent's default, such as idle-timeout; repeat for more"],
  home: [
    'HOME',
    'reattach this kept home (its id from berth homes ls) instead of making a new one (default: a new home)',
  ],
  devcontainer: [
    'PATH',
    'create it from this devcontainer.json, or a folder holding .devcontainer/devcontainer.json or .devcontainer.json (the other flags override its values)',
  ],
  confirm: ['HOME', 'the home id again, to confirm the delete where no terminal can ask (default: asked)'],
  'volumes.confirm': [
    'NAME',
    'the volume name again, to confirm the delete where no terminal can ask (default: asked)',
  ],
  'volumes.yes': ['', 'delete every file in it: needed, then the name again (asked, or --confirm)'],
  'volumes.owner': ['USER', "the volume's owner (admins, to delete another user's; default: you)"],
  secret: [
    'NAME[=VAR]',
    'give the workspace this secret of yours as variable VAR (default VAR: NAME); repeat for more',
  ],
  'secret-file': [
    'NAME[:PATH]',
    'give the workspace this secret of yours as a file only its user reads (default PATH: /run/secrets/NAME); repeat for more',
  ],
  'from-file': [
    'FILE',
    "the secret's value is this file's content, as is (default: asked without echo, or read from stdin)",
  ],
  'delete-data': ['', 'also delete the home volume and all files in it (default: kept)'],
  yes: ['', 'do not ask for confirmation (needed without a terminal)'],
  follow: ['', 'keep printing new output until Ctrl-C'],
  interactive: ['', "forward this terminal's stdin to the command (default: the command reads end of file)"],
  tty: ['', "give the command a terminal of this window's size; Ctrl-C then goes to it (default: none)"],
  tail: ['N', 'only the last N lines (default: all the agent keeps)'],
  disk: ['SIZE|default', "the user's soft disk quota, such as 200g (default: unchanged)"],
  'dry-run': ['', 'sample now and show what a check would do, without acting'],
  identity: ['FILE', "the private key ssh offers (default: BERTH_IDENTITY, the host's, then ssh's own)"],
  output: ['FORMAT', 'wide: every column, not only those that fit 100 columns (default: the narrow table)'],
  'apply.file': ['FILE', 'the workspace.yaml to apply (berth init writes one)'],
  'apply.dry-run': ['', 'print what would change, change nothing'],
  'from-devcontainer': [
    'PATH',
    'derive it from this devcontainer.json, or a folder holding .devcontainer/devcontainer.json (default: this folder)',
  ],
  'init.file': ['FILE', 'where to write it (default: workspace.yaml; an existing file is kept)'],
  force: ['', 'overwrite the file if it exists'],
  'get.output': [
    'FORMAT',
    "json: the protocol's Workspace object, history included; yaml: its workspace.yaml definition, which berth apply takes back, then its state and history under status: (default: text)",
  ],
  'ls.state': ['STATE', 'only workspaces in this state: running, stopped, failed… (default: all)'],
  'ls.sort': [
    'ORDER',
    'name (A to Z), created (newest first) or activity (most recently active first) (default: oldest first)',
  ],
  admin: ['', "the token is an admin's: sees and manages every workspace (default: no)"],
  label: ['TEXT', 'a label to tell the token apart, such as alice-laptop (default: none)'],
  all: ['', 'every token of --user'],
  local: ['', "act on this host's users file, not over the protocol"],
  'state-dir': [
    'DIR',
    "the agent's state directory (default: $BERTH_STATE_DIR, ~/.local/state/berth, or /var/lib/berth as root)",
  ],
  init: ['', 'make DIR the state directory of a new agent if it holds none yet'],
  name: ['NAME', 'the name to save the host under (default: from the URL or SSH target)'],
  'host.token': ['TOKEN|-', 'the token of a ws:// agent, - to read it from stdin (default: BERTH_TOKEN)'],
  'host.identity': ['FILE', "the private key berth ssh offers for this host's workspaces (default: ssh's own)"],
  F: ['SSH_CONFIG', 'the SSH config file for the host (default: ~/.ssh/config)'],
  'agent-port': ['PORT', "the agent's loopback port on the host (default: 7420)"],
  'host.ports': ['FIRST-LAST', "the workspaces' SSH port range of the agent there (default: 2200-2399)"],
  listen: ['HOST:PORT', 'where the agent listens (default: 127.0.0.1:7420)'],
  'serve.ports': ['FIRST-LAST', "the workspaces' SSH ports on 127.0.0.1 (default: 2200-2399)"],
  'serve.image': ['IMG', 'the default image of new workspaces (default: berth-workspace:latest)'],
  'serve.quiet': ['', 'log warnings and errors only'],
  'docker-socket': ['PATH', "Docker's socket (default: $DOCKER_SOCKET or /var/run/docker.sock)"],
  'ssh-timeout': ['DUR', "how long a new workspace's sshd may take to answer (default: 60s)"],
  'nvidia-smi': ['PATH', 'the nvidia-smi to ask about GPUs (default: nvidia-smi on PATH)'],
  'gpu-mode': ['nvidia|cdi', 'how GPUs are given to containers (default: nvidia)'],
  'gpu-sharing': ['N', 'workspaces that may share one GPU (default: 1)'],
  'gpu-quota': ['N', 'GPUs per user at most (default: no limit)'],
  'disk-interval': ['DUR', 'how often disk use is measured (default: 5m)'],
  'max-build-context': ['SIZE', 'the largest build context a client may send, such as 500m (default: 2g)'],
  'serve.idle-timeout': ['DUR', 'stop a workspace after this long idle; 0 for never (default: 30m)'],
  'serve.attached-grace': ['DUR', 'stop after this long attached with nobody present (default: 4h)'],
  'serve.max-lifetime': ['DUR', 'stop after this long running; 0 for never (default: 0)'],
  'idle-max': ['DUR', 'no workspace idle longer than this, whatever its owner asks; 0 for no cap (default: 0)'],
  'idle-warn-before': ['DUR', 'warn this long before an idle stop (default: 5m)'],
  'keepalive-max': ['DUR', 'the longest keepalive (default: 12h)'],
  'keepalive-default': ['DUR', 'a keepalive without a duration (default: 1h)'],
  'idle-interval': ['DUR', 'how often workspaces are sampled (default: 30s)'],
  'idle-cpu-threshold': ['CORES', 'CPU use above which a workspace is busy (default: 0.1)'],
  build: ['DIR', 'build the image on the host from this folder (its Dockerfile; .dockerignore honoured)'],
  dockerfile: ['FILE', 'the Dockerfile, inside the build folder (default: DIR/Dockerfile)'],
  'build-arg': ['KEY=VALUE', 'a build argument (ARG in the Dockerfile); repeat for more (default: none)'],
  target: ['STAGE', 'the stage of a multi-stage Dockerfile to build (default: the last)'],
  'rebuild.quiet': ['', 'print neither the build log nor progress'],
  clone: ['URL', 'clone this git repository into the home at the first start, as the workspace user (default: none)'],
  branch: ['B', "the branch or tag the clone checks out (default: the repository's default branch)"],
  into: ['DIR', "the folder in the home to clone into (default: the repository's name)"],
  'clone-secret': ['NAME', 'the secret with the token (HTTPS) or private key (SSH) the clone uses; made a secret file'],
  docker: [
    '',
    'run Docker inside (the image must have dockerd); privileged: gives root on the host, only where the admin allows it (default: no)',
  ],
  'allow-docker': [
    '',
    'let workspaces run Docker inside (--docker); each such workspace is privileged: root on the host (default: refused)',
  ],
  'allow-docker-for': [
    'USER',
    'let this user’s workspaces run Docker inside (--docker), where --allow-docker is not given; repeat for more; each such workspace is privileged: root on the host (default: nobody)',
  ],
  'allow-bind': [
    'PATH[:ro]',
    'let workspaces bind host paths inside this folder (volumes: bind); :ro makes every such bind read-only; repeat for more (default: none)',
  ],
  'allow-pull': [
    'REGISTRY',
    'pull an image the host lacks, named by a workspace or as a build’s base, from this registry (HOST[:PORT]; Docker Hub is docker.io); anonymous pulls only; repeat for more (default: the agent never pulls)',
  ],
  'trash-keep': [
    'DUR',
    'keep the home of a workspace deleted with its data restorable this long; 0: no trash (default: 7d)',
  ],
  'archive-after': ['DUR', 'archive a workspace stopped this long (frees its SSH port); 0: never (default: 0)'],
  'transfer-stall': [
    'DUR',
    'cancel a backup or restore in which no byte moved this long (a stalled client frees the workspace; default: 10m)',
  ],
  now: ['', 'with --delete-data: delete the files at once instead of moving them to the trash'],
  archived: ['', 'list the archived workspaces only (default: the others)'],
  as: ['NEW', 'restore it under this name (default: the name it had)'],
  'trash.all': ['', "every user's trash (admins only; default: yours)"],
  'trash.yes': ['', 'empty it without asking (needed without a terminal)'],
};

/** The value placeholder and meaning of `--option` of `command`, or undefined when none is written. */
export function optionHelp(command: string, option: string): [string, string] | undefined {
  return OPTIONS[`${command}.${option}`] ?? (Object.hasOwn(OPTIONS, option) ? OPTIONS[option] : undefined);
}

/** One option's parser settings, as `parseArgs` takes them. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
}

/** The `options:` section of `berth COMMAND --help`: each option, its value, meaning and default. */
export function optionsHelp(command: string, options: Record<string, OptionSpec>): string {
  const rows = Object.entries(options).map(([name, spec]) => {
    const [value = '', meaning = ''] = optionHelp(command, name) ?? [];
    const flag = name.length === 1 ? `-${name}` : `${spec.short ? `-${spec.short}, ` : ''}--${name}`;
    return [`${flag}${spec.type === 'string' ? ` ${value || 'VALUE'}` : ''}`, meaning];
  });
  const width = Math.max(...rows.map(([flag = '']) => flag.length));
  return ['options:', ...rows.map(([flag = '', meaning]) => `  ${flag.padEnd(width)}  ${meaning}`)].join('\n');
}
