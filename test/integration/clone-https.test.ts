import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { AgentClient } from '../../client/agent-client';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { docker, dockerBuild } from '../support/docker';
import { useAgent } from '../support/use-agent';

// Issue 15, "Clone on create", over HTTP with a token: the secret reaches git through the credential
// helper on git's command line (cloneArgv), and nowhere else. The git server is the workspace's
// own, on its 127.0.0.1: a Python http.server in front of a bare repository made ready for git's
// "dumb" HTTP protocol (git update-server-info), answering 401 without the right Basic password.

const PORT = 8418;
const URL = `http://127.0.0.1:${PORT}/repo.git`;

/**
 * The server: `serve.py PORT SHA256-OF-THE-PASSWORD` binds, then goes to the background, so the
 * command that started it returns once it listens. It logs each request's method, path and status,
 * never a header.
 */
const SERVER = `import base64, functools, hashlib, http.server, os, sys
port, want = int(sys.argv[1]), sys.argv[2]
class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        auth = self.headers.get('Authorization', '')
        try:
            password = base64.b64decode(auth[6:]).decode().split(':', 1)[1] if auth.startswith('Basic ') else ''
        except Exception:
            password = ''
        if hashlib.sha256(password.encode()).hexdigest() != want:
            self.send_response(401)
            self.send_header('WWW-Authenticate', 'Basic realm="git"')
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        super().do_GET()
    def log_message(self, format, *args):
        sys.stderr.write('%s %s %s\\n' % (self.command, self.path, args[1] if len(args) > 1 else '-'))
server = http.server.ThreadingHTTPServer(('127.0.0.1', port), functools.partial(Handler, directory='/srv'))
if os.fork():
    os._exit(0)
os.setsid()
server.serve_forever()
`;

const IMAGE = 'berth-test-git-http:latest';
const DOCKERFILE = `FROM berth-workspace:latest
RUN set -e; git init -q -b main /tmp/src; cd /tmp/src; echo 'hello over http' > README; \\
    git add README; git -c user.name=t -c user.email=t@example.com commit -qm one; \\
    git clone -q --bare /tmp/src /srv/repo.git; cd /srv/repo.git; git update-server-info; \\
    cd /; rm -rf /tmp/src; chmod -R a+rX /srv; \\
    echo ${Buffer.from(SERVER).toString('base64')} | base64 -d > /srv/serve.py
`;
const SMALL = ['--image', IMAGE, '--memory', '256m', '--cpus', '0.5'];

describe('clone on create over HTTP with a token secret', function () {
  this.timeout(180_000);
  const agent = useAgent();
  const token = `tok-${randomBytes(12).toString('hex')}`;
  const wrong = `wrong-${randomBytes(12).toString('hex')}`;
  let env: NodeJS.ProcessEnv;
  let alice: AgentClient;
  /** Everything a run printed, to look for the token in. */
  const printed: string[] = [];
  const run = (args: string[]) => {
    const result = berth(args, env);
    printed.push(result.stdout, result.stderr);
    return result;
  };
  const ok = (args: string[]) => {
    const result = run(args);
    assert.equal(result.code, 0, `berth ${args.join(' ')}: ${result.stderr}${result.stdout}`);
    return result;
  };
  const inside = (name: string, script: string) => ok(['exec', name, '--', 'sh', '-c', script]).stdout;
  /** Starts the workspace's git server, which takes only `password`; returns once it listens. */
  const serve = (name: string, password: string) => {
    const hash = createHash('sha256').update(password).digest('hex');
    inside(name, `python3 /srv/serve.py ${PORT} ${hash} </dev/null >>/tmp/http.log 2>&1`);
  };

  before(async () => {
    dockerBuild(IMAGE, DOCKERFILE);
    env = cliEnv(agent.url, agent.token('alice'));
    alice = await agent.connect(agent.token('alice'));
    await alice.request('secret.set', { name: 'GIT_TOKEN', value: token });
    await alice.request('secret.set', { name: 'WRONG_TOKEN', value: wrong });
  });
  after(() => docker('rmi', '-f', IMAGE));

  it('clones with the right token, which lands in no .git/config', async () => {
    // The server is started in the workspace, so the clone of the first start finds none.
    const created = ok(['create', 'tokened', ...SMALL, '--clone', URL, '--clone-secret', 'GIT_TOKEN']);
    assert.match(created.stderr, /clone: fatal: unable to access/);
    serve('tokened', token);
    ok(['clone', 'tokened']);
    assert.equal(inside('tokened', 'cat ~/repo/README'), 'hello over http\n');
    // Asked without credentials first (401), then with the helper's (200).
    const requests = inside('tokened', 'cat /tmp/http.log');
    assert.match(requests, /^GET \/repo\.git\/info\/refs\?service=git-upload-pack 401$/m);
    assert.match(requests, /^GET \/repo\.git\/info\/refs\?service=git-upload-pack 200$/m);
    const config = inside('tokened', 'cat ~/repo/.git/config');
    assert.match(config, new RegExp(`url = ${URL.replace(/[.?]/g, '\\$&')}\\n`));
    assert.doesNotMatch(config, /credential|secrets|tok-/);
    const { workspace } = await alice.request('workspace.get', { name: 'tokened' });
    assert.equal(workspace.message, undefined, 'the failure of the first start is over');
  });

  it('fails clearly with a wrong token, and the workspace keeps running', async () => {
    ok(['create', 'mistaken', ...SMALL, '--clone', URL, '--clone-secret', 'WRONG_TOKEN']);
    serve('mistaken', token);
    const refused = run(['clone', 'mistaken']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /the clone of http:\/\/127\.0\.0\.1:8418\/repo\.git failed with exit code 128/);
    assert.match(refused.stderr, /Authentication failed for 'http:\/\/127\.0\.0\.1:8418\/repo\.git\/'/);
    assert.equal(inside('mistaken', 'test -e ~/repo && echo there || echo absent'), 'absent\n');
    const { workspace } = await alice.request('workspace.get', { name: 'mistaken' });
    assert.equal(workspace.state, 'running');
  });

  it('shows neither token in a reply, a log, the state directory or docker inspect', async () => {
    const got = [
      await alice.request('workspace.get', { name: 'tokened' }),
      await alice.request('workspace.get', { name: 'mistaken' }),
    ];
    const replies = JSON.stringify([
      ...got,
      await alice.request('workspace.list', {}),
      await alice.request('secret.list', {}),
    ]);
    const logs = ['tokened', 'mistaken'].map((name) => ok(['logs', name]).stdout).join('\n');
    const inspected = got.map(({ workspace }) => docker('inspect', `berth-${workspace.id}`));
    // Every regular file at every depth; none is left out: the vault holds only ciphertext, and the
    // values handed to a start are staged in memory (/dev/shm), not here.
    const statePaths = await regularFiles(agent.stateDir);
    assert.ok(
      statePaths.some((file) => path.dirname(file) !== agent.stateDir),
      'the walk reaches into the state directory’s folders',
    );
    const stateFiles = await Promise.all(
      statePaths.map(async (file) => `${file}\n${await fs.readFile(file, 'utf8').catch(() => '')}`),
    );
    const places = { replies, logs, inspected, printed, stateFiles, agentLog: agent.log };
    for (const [where, text] of Object.entries(places)) {
      const all = JSON.stringify(text);
      assert.ok(!all.includes(token), `the token shows in ${where}`);
      assert.ok(!all.includes(wrong), `the wrong token shows in ${where}`);
    }
    assert.match(agent.log, /tokened: clone: /, 'the agent log has the clone’s output');
  });
});

/** The regular files under `dir`, at every depth (links and FIFOs are not followed or read). */
async function regularFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await regularFiles(file)));
    else if (entry.isFile()) found.push(file);
  }
  return found;
}
