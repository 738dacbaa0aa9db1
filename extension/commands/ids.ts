/** Every command the extension contributes; a test checks this list against package.json. */
export const COMMAND_IDS = [
  'berth.host.add',
  'berth.host.remove',
  'berth.host.reconnect',
  'berth.refresh',
  'berth.workspace.create',
  'berth.workspace.start',
  'berth.workspace.stop',
  'berth.workspace.delete',
  'berth.workspace.connect',
  'berth.workspace.openTerminal',
  'berth.workspace.showLogs',
  'berth.workspace.copySshCommand',
  'berth.workspace.keepRunning',
  'berth.workspace.restart',
  'berth.workspace.update',
  'berth.workspace.cancel',
  'berth.workspace.showDetails',
  'berth.secret.set',
  'berth.secret.list',
  'berth.workspace.archive',
  'berth.workspace.unarchive',
  'berth.trash.restore',
  'berth.workspace.createFromDevcontainer',
  'berth.workspace.rebuild',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];
