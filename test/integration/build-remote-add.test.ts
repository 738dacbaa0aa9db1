import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as http from 'node:http';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { useAgent } from '../support/use-agent';

// `ADD <url>` makes the host's dockerd fetch an address of the user's choosing from the host's own
// network: refused before Docker builds anything, saying to download in a RUN step.

describe('builds: a Dockerfile whose ADD fetches a URL is refused', function () {
  this.timeout(180_000);
  const agent = useAgent();
  let dir = '';
  let hits = 0;
  let server: http.Server;
  let port = 0;

  before(async () => {
    // A loopback server standing for an address on the host's network: it must never be asked.
    server = http.createServer((_req, res) => {
      hits++;
      res.end('fetched');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-remote-add-'));
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const add of [
    (p: number) => `ADD http://127.0.0.1:${p}/inside /opt/inside`,
    (p: number) => `ADD --chown=0:0 \\\n  ["https://127.0.0.1:${p}/a", "/opt/a"]`,
    () => 'add git@github.com:example/repo.git /opt/repo',
  ]) {
    it(`refuses ${add(0).split('\n')[0]}`, () => {
      const context = mkdtempSync(path.join(dir, 'ctx-'));
      writeFileSync(path.join(context, 'Dockerfile'), `FROM berth-workspace:latest\nRUN true\n${add(port)}\n`);
      const env = cliEnv(agent.url, agent.token('alice'));
      const run = berth(['create', 'fetcher', '--build', context, '--memory', '256m', '--cpus', '0.5'], env);
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /Dockerfile line 3: ADD \S+ is refused: .*download it in a RUN step instead/);
      assert.equal(hits, 0, "the host's Docker fetched the URL");
      assert.doesNotMatch(run.stderr, /Step 1\//, 'Docker started the build');
    });
  }
});
