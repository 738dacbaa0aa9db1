import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as http from 'node:http';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { docker } from '../support/docker';
import { useAgent } from '../support/use-agent';

// `ADD <url>`, and a base image the host lacks (`FROM`, `COPY --from`: the classic builder pulls it
// from the registry its name gives), make the host's dockerd reach an address of the user's choosing
// from the host's own network: refused before Docker builds anything, saying what to do instead.

describe('builds: a Dockerfile that would make the host fetch from an address of its choosing is refused', function () {
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

  for (const line of [
    (p: number) => `FROM 127.0.0.1:${p}/team/base:1`,
    (p: number) => `COPY --from=127.0.0.1:${p}/tools:2 /bin/tool /usr/local/bin/tool`,
    (p: number) => `ARG BASE=127.0.0.1:${p}/x\nFROM \${BASE}`,
  ]) {
    it(`refuses an image the host lacks, which Docker would pull: ${line(0).split('\n').at(-1)}`, () => {
      const context = mkdtempSync(path.join(dir, 'ctx-'));
      const text = line(port);
      const dockerfile = text.startsWith('COPY') ? `FROM berth-workspace:latest\n${text}\n` : `${text}\nRUN true\n`;
      writeFileSync(path.join(context, 'Dockerfile'), dockerfile);
      const env = cliEnv(agent.url, agent.token('alice'));
      const run = berth(['create', 'puller', '--build', context, '--memory', '256m', '--cpus', '0.5'], env);
      assert.notEqual(run.code, 0);
      assert.match(
        run.stderr,
        /Dockerfile line \d: (FROM|COPY --from) 127\.0\.0\.1:\d+\/\S+ is not on this host, and the host's Docker would pull it/,
      );
      assert.equal(hits, 0, "the host's Docker asked the registry");
      assert.doesNotMatch(run.stderr, /Step 1\//, 'Docker started the build');
    });
  }

  it('refuses a base image on the host whose ONBUILD trigger would fetch a URL (the trigger runs in this build)', () => {
    const image = `berth-test-onbuild:${process.pid}`;
    const made = mkdtempSync(path.join(dir, 'onbuild-'));
    writeFileSync(
      path.join(made, 'Dockerfile'),
      `FROM berth-workspace:latest\nONBUILD ADD http://127.0.0.1:${port}/trigger /opt/trigger\n`,
    );
    docker('build', '-q', '-t', image, made);
    try {
      const context = mkdtempSync(path.join(dir, 'ctx-'));
      writeFileSync(path.join(context, 'Dockerfile'), `FROM ${image}\nRUN true\n`);
      const env = cliEnv(agent.url, agent.token('alice'));
      const run = berth(['create', 'triggered', '--build', context, '--memory', '256m', '--cpus', '0.5'], env);
      assert.notEqual(run.code, 0);
      assert.match(
        run.stderr,
        /ONBUILD trigger 1 of berth-test-onbuild:\d+ \(FROM at Dockerfile line 1\) line 1: ADD http:\/\/127\.0\.0\.1:\d+\/trigger is refused/,
      );
      assert.equal(hits, 0, "the host's Docker fetched the trigger's URL");
    } finally {
      docker('rmi', '-f', image);
    }
  });
});
