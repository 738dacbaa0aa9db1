import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AgentProcess, berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { answerAddHost, berthVsix, makeFakeHome } from './support/berth';
import { CodeServer } from './support/code-server';
import { Workbench } from './support/workbench';

async function main() {
  const agent = await AgentProcess.start();
  const cli = cliEnv(agent.url, agent.token('alice'));
  for (const n of ['aa', 'bb']) console.log(berth(['create', n, '--memory', '512m', '--cpus', '1'], cli).stdout);
  const home = await makeFakeHome();
  const folder = path.join(home, 'project');
  await fs.mkdir(folder);
  const server = await CodeServer.start({ vsix: berthVsix(), folder, env: { HOME: home } });
  const wb = await Workbench.open(server.url);
  try {
    await wb.openView('Berth');
    await wb.clickWelcomeButton('Workspaces', 'Add Host');
    await answerAddHost(wb, { url: agent.url, name: 'Lab', token: agent.token('alice') });
    await wb.waitForTreeRow(/^bb running/);
    const page = wb.page;
    page.on('console', (m) => { if (m.text().startsWith('XX')) console.log(m.text()); });
    await page.evaluate(() => {
      for (const t of ['mousedown', 'mouseup', 'click', 'pointerdown', 'pointerup', 'contextmenu']) {
        (globalThis as any).document.addEventListener(t, (e: any) => console.log('XX', t, e.button, e.target?.className, Date.now()), true);
      }
    });
    for (let i = 0; i < 3; i++) {
      await wb.contextMenu(/^aa running/, 'Stop Workspace');
      await wb.waitForTreeRow(/^aa stopped/, 60000);
      console.log('start', berth(['start', 'aa'], cli).code);
      await wb.waitForTreeRow(/^aa running/, 5000);
      console.log('items', await wb.openContextMenu(/^bb running/));
      try {
        await wb.chooseMenuItem('Delete Workspace', 5000);
        await wb.dialog.click('Cancel');
        console.log('OK');
      } catch (e) {
        console.log('FAILED', (e as Error).message.split('\n')[0]);
        await wb.screenshot('scratch-' + i);
        await page.keyboard.press('Escape');
      }
    }
  } finally {
    await wb.close(); await server.stop(); await agent.destroy();
  }
}
void main();
