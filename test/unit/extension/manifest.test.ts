import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { COMMAND_IDS } from '../../../extension/commands/ids';
import { workspaceContext } from '../../../extension/tree/model';
import type { WorkspaceState } from '../../../protocol';
import { workspace } from '../../support/builders';

const ROOT = path.resolve(__dirname, '..', '..', '..');

interface Manifest {
  main: string;
  extensionKind: string[];
  activationEvents: string[];
  contributes: {
    commands: { command: string; title?: string; category?: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    viewsContainers: Record<string, { id: string; icon: string }[]>;
    views: Record<string, { id: string }[]>;
    viewsWelcome: { view: string; contents: string }[];
  };
}

const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
const { commands, menus, views, viewsContainers, viewsWelcome } = manifest.contributes;
const declared = commands.map((command) => command.command);

/** The `viewItem =~ /…/` pattern of a `when` clause, as a RegExp. */
function viewItemPattern(when = ''): RegExp | null {
  const match = /viewItem =~ \/(.+?)\/(?:\s|$)/.exec(when);
  return match?.[1] ? new RegExp(match[1]) : null;
}

/** The commands the item context menu offers for a tree item with this `contextValue`. */
function offered(contextValue: string): Set<string> {
  const items = menus['view/item/context'] ?? [];
  return new Set(items.filter((item) => viewItemPattern(item.when)?.test(contextValue)).map((item) => item.command));
}

/** The context value of a workspace in `state`, as the tree builds it (the user's own unless `own` is false). */
function context(state: WorkspaceState, gpus = 0, own = true): string {
  return workspaceContext(workspace('web', { state }, { gpus }), own);
}

describe('manifest: commands', () => {
  it('declares exactly the command ids the code registers', () => {
    assert.deepEqual([...declared].sort(), [...COMMAND_IDS].sort());
  });

  it('declares each command once, and the code lists each once', () => {
    assert.equal(new Set(declared).size, declared.length);
    assert.equal(new Set(COMMAND_IDS).size, COMMAND_IDS.length);
  });

  it('namespaces every command id under berth.', () => {
    for (const id of declared) assert.match(id, /^berth\.[a-z]+(\.[a-zA-Z]+)?$/);
  });

  it('gives every command a title and the category "Berth"', () => {
    for (const command of commands) {
      assert.equal(command.category, 'Berth', command.command);
      assert.ok(command.title?.trim(), `${command.command} has a title`);
    }
  });

  it('refers only to declared commands in menus', () => {
    for (const [menu, items] of Object.entries(menus)) {
      for (const item of items) assert.ok(declared.includes(item.command), `${menu}: ${item.command}`);
    }
  });

  it('links only declared commands from the welcome views', () => {
    const linked = viewsWelcome.flatMap((welcome) =>
      [...welcome.contents.matchAll(/\(command:([^)?\s]+)/g)].map((match) => match[1]),
    );
    assert.ok(linked.length > 0, 'the welcome view has a button');
    for (const command of linked) assert.ok(declared.includes(command!), String(command));
  });
});

describe('manifest: views and activation', () => {
  it('contributes the view berth.workspaces in a view container whose icon is in media/', () => {
    const [container, ...more] = Object.entries(views).filter(([, list]) =>
      list.some((view) => view.id === 'berth.workspaces'),
    );
    assert.ok(container, 'a container holds berth.workspaces');
    assert.deepEqual(more, []);
    const definition = Object.values(viewsContainers)
      .flat()
      .find((candidate) => candidate.id === container[0]);
    assert.ok(definition, `the view container ${container[0]} is declared`);
    assert.match(definition.icon, /^media\//);
    assert.ok(existsSync(path.join(ROOT, definition.icon)), `${definition.icon} exists`);
  });

  it('gives the welcome content to berth.workspaces', () => {
    assert.deepEqual(
      viewsWelcome.map((welcome) => welcome.view),
      ['berth.workspaces'],
    );
  });

  it('runs on the UI side by preference, and on the workspace side where there is no UI host', () => {
    assert.deepEqual(manifest.extensionKind, ['ui', 'workspace']);
  });

  it('loads the bundle ./dist/extension.js', () => {
    assert.equal(manifest.main, './dist/extension.js');
  });

  it('activates once startup has finished, so a window connected to a workspace reports presence and warns', () => {
    assert.deepEqual(manifest.activationEvents, ['onStartupFinished', 'onUri']);
  });

  it('contributes the GPU view beside the workspaces, in the same container', () => {
    const container = Object.values(views).find((list) => list.some((view) => view.id === 'berth.workspaces'));
    assert.deepEqual(
      container?.map((view) => view.id),
      ['berth.workspaces', 'berth.gpus'],
    );
  });
});

describe('manifest: item menus against the tree’s context values', () => {
  it('offers stop, terminal and connect on a running workspace, with or without GPUs', () => {
    for (const value of [context('running'), context('running', 1)]) {
      const commands = offered(value);
      for (const id of ['berth.workspace.stop', 'berth.workspace.openTerminal', 'berth.workspace.connect']) {
        assert.ok(commands.has(id), `${value}: ${id}`);
      }
      assert.ok(!commands.has('berth.workspace.start'), `${value}: no start`);
    }
  });

  it('offers "Keep Workspace Running" on a running workspace only', () => {
    assert.ok(offered(context('running')).has('berth.workspace.keepRunning'));
    for (const state of ['stopped', 'starting', 'failed'] as const) {
      assert.ok(!offered(context(state)).has('berth.workspace.keepRunning'), state);
    }
  });

  it('offers start but not stop on a stopped workspace', () => {
    const commands = offered(context('stopped', 2));
    assert.ok(commands.has('berth.workspace.start'));
    assert.ok(!commands.has('berth.workspace.stop'));
  });

  it('offers neither start nor delete while a workspace is busy', () => {
    for (const state of ['creating', 'stopping', 'deleting'] as const) {
      const commands = offered(context(state));
      assert.ok(!commands.has('berth.workspace.start') && !commands.has('berth.workspace.delete'), state);
    }
  });

  it("offers no connect action on another user's workspace (an admin's view), only its lifecycle and logs", () => {
    const connects = ['berth.workspace.connect', 'berth.workspace.openTerminal', 'berth.workspace.copySshCommand'];
    for (const value of [context('running', 0, false), context('running', 1, false), context('stopped', 0, false)]) {
      const commands = offered(value);
      for (const id of connects) assert.ok(!commands.has(id), `${value}: no ${id}`);
      assert.ok(commands.has('berth.workspace.showLogs'), `${value}: logs`);
    }
    assert.ok(offered(context('running', 0, false)).has('berth.workspace.stop'));
    for (const id of connects) assert.ok(offered(context('running')).has(id), `own: ${id}`);
  });

  it('offers create only on a connected host, and reconnect on every host', () => {
    assert.ok(offered('host+connected').has('berth.workspace.create'));
    assert.ok(!offered('host+error').has('berth.workspace.create'));
    for (const value of ['host+connected', 'host+connecting', 'host+error']) {
      assert.ok(offered(value).has('berth.host.reconnect'), value);
    }
  });
});
