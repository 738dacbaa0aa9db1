import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BERTH_CONTAINER, answerAddHost, berthVsix, connectedHostRow, makeFakeHome, type HostAnswers } from './berth';
import { CodeServer, requireCodeServer } from './code-server';
import { Workbench } from './workbench';

export interface BerthWindowOptions {
  /** User settings, on top of the tests' own. */
  settings?: Record<string, unknown>;
  /** Extra environment of code-server and its extension host; HOME is the window's own fake home. */
  env?: NodeJS.ProcessEnv;
  /** Writes what the fake home must hold before code-server starts (an SSH config, say; `project/`, the folder). */
  prepareHome?: (home: string) => Promise<void>;
  /** A host to add with "Berth: Add Host" once the window shows; it waits for the host's row as `user`. */
  host?: HostAnswers & { user: string };
}

/** An open window of the packaged extension, and what it runs on. */
export interface BerthWindow {
  /** The fake HOME handed to code-server (the extension's ~/.ssh writes land there). */
  home: string;
  /** The folder the window opened, inside `home`. */
  folder: string;
  server: CodeServer;
  workbench: Workbench;
  /** Closes the browser, stops code-server and removes `home`. */
  close(): Promise<void>;
}

/**
 * The packaged extension (berthVsix()) in a fresh code-server, in headless Chromium, with a fake HOME
 * and a folder of its own: open, the Berth view shown, and `host` added when given. What was started
 * is ended again when a step fails.
 */
export async function openBerthWindow(options: BerthWindowOptions = {}): Promise<BerthWindow> {
  requireCodeServer();
  const vsix = berthVsix();
  const home = await makeFakeHome();
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;
  const close = async () => {
    await workbench?.close().catch(() => undefined);
    await server?.stop();
    await fs.rm(home, { recursive: true, force: true });
  };
  try {
    await options.prepareHome?.(home);
    const folder = path.join(home, 'project');
    await fs.mkdir(folder, { recursive: true });
    server = await CodeServer.start({ vsix, folder, settings: options.settings, env: { ...options.env, HOME: home } });
    workbench = await Workbench.open(server.url);
    await workbench.openView(BERTH_CONTAINER);
    if (options.host) {
      await workbench.runCommand('Berth: Add Host');
      await answerAddHost(workbench, options.host);
      await workbench.waitForTreeRow(connectedHostRow(options.host.name, options.host.user));
    }
    return { home, folder, server, workbench, close };
  } catch (err) {
    await close();
    throw err;
  }
}
