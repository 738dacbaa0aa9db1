import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  PACKAGE_MANAGERS,
  PROBE_PATHS,
  SHELL_PATH,
  installScript,
  layerDockerfile,
  layerTag,
  planFor,
} from '../../../../agent/runtime/sshd-recipe';

const BASE_ID = `sha256:${'ab12'.repeat(16)}`;
const manager = (name: string) => {
  const found = PACKAGE_MANAGERS.find((m) => m.name === name);
  if (!found) throw new Error(`no ${name}`);
  return found;
};

describe('sshd recipe: what an image needs', () => {
  it('needs nothing when it has a shell and an sshd where berth-init looks', () => {
    for (const sshd of ['/usr/sbin/sshd', '/usr/local/bin/sshd', '/sbin/sshd']) {
      assert.deepEqual(planFor('img', new Set([SHELL_PATH, sshd])), { kind: 'ready' });
    }
  });

  it('gets a layer through the package manager it has', () => {
    const cases: [string, string][] = [
      ['/usr/bin/apt-get', 'apt-get'],
      ['/sbin/apk', 'apk'],
      ['/usr/bin/dnf', 'dnf'],
      ['/usr/bin/microdnf', 'microdnf'],
      ['/usr/bin/yum', 'yum'],
      ['/usr/bin/zypper', 'zypper'],
    ];
    for (const [path, name] of cases) {
      const plan = planFor('img', new Set([SHELL_PATH, path]));
      assert.equal(plan.kind === 'layer' && plan.manager.name, name, path);
    }
  });

  it('prefers dnf to yum where an image has both (yum is dnf’s alias there)', () => {
    const plan = planFor('img', new Set([SHELL_PATH, '/usr/bin/yum', '/usr/bin/dnf']));
    assert.equal(plan.kind === 'layer' && plan.manager.name, 'dnf');
  });

  it('refuses an image with neither sshd nor a known package manager, saying what to do', () => {
    const plan = planFor('python:3', new Set([SHELL_PATH, '/usr/bin/pacman']));
    assert.equal(plan.kind, 'unsupported');
    assert.match(
      plan.kind === 'unsupported' ? plan.reason : '',
      /^image "python:3" has no OpenSSH server \(sshd\) and no package manager Berth knows \(apt-get, apk, dnf, microdnf, yum, zypper\) to install one; install openssh-server in the image, or use an image that has one of those package managers$/,
    );
  });

  it('refuses an image without /bin/sh even when it has sshd', () => {
    const plan = planFor('distroless', new Set(['/usr/sbin/sshd', '/usr/bin/apt-get']));
    assert.match(plan.kind === 'unsupported' ? plan.reason : '', /has no \/bin\/sh, which Berth's init needs/);
  });

  it('looks at every path it decides on', () => {
    for (const m of PACKAGE_MANAGERS) for (const p of m.paths) assert.ok(PROBE_PATHS.includes(p), p);
    assert.ok(PROBE_PATHS.includes(SHELL_PATH));
  });
});

describe('sshd recipe: the derived image', () => {
  it('is tagged by the base id', () => {
    assert.equal(layerTag(BASE_ID), 'berth-sshd:ab12ab12ab12');
  });

  it('builds FROM the base id as root and gives the base its USER back', () => {
    const lines = layerDockerfile(BASE_ID, 'app:staff', manager('apt-get')).split('\n');
    assert.equal(lines[0], `FROM ${BASE_ID}`);
    assert.equal(lines[1], 'USER 0');
    assert.match(lines[2] ?? '', /^RUN \["\/bin\/sh","-c","/);
    assert.equal(lines[3], 'USER app:staff');
    assert.equal(lines[4], `LABEL dev.berth.sshd-layer.base="${BASE_ID}"`);
    // Nothing else: ENV, WORKDIR, ENTRYPOINT, CMD and labels stay the base's.
    assert.deepEqual(lines.slice(5), ['']);
  });

  it('runs the install in exec form, so the base’s SHELL does not matter, with the whole script', () => {
    const dockerfile = layerDockerfile(BASE_ID, '', manager('apk'));
    const run = dockerfile.split('\n').find((line) => line.startsWith('RUN '));
    assert.deepEqual(JSON.parse(run?.slice(4) ?? ''), ['/bin/sh', '-c', installScript(manager('apk'))]);
    assert.ok(
      !dockerfile.includes('\nUSER \n') && dockerfile.split('\n').filter((l) => l.startsWith('USER')).length === 1,
    );
  });

  it('refuses a base id or USER that would add lines of its own', () => {
    assert.throws(() => layerDockerfile(`${BASE_ID}\nRUN evil`, '', manager('apt-get')), /not an image id/);
    assert.throws(() => layerDockerfile(BASE_ID, 'app\nRUN evil', manager('apt-get')), /not a user/);
  });

  it('ends with the install’s own exit status when any step of it fails', () => {
    const failing = { name: 'apt-get', paths: [], install: 'true && (exit 7) && true' } as const;
    const run = spawnSync('sh', ['-c', installScript(failing)], { encoding: 'utf8' });
    assert.equal(run.status, 7, run.stderr);
    assert.doesNotMatch(run.stderr, /no sshd/);
  });

  it('has install scripts that sh accepts, each checking for sshd and dropping host keys', () => {
    for (const m of PACKAGE_MANAGERS) {
      const script = installScript(m);
      const checked = spawnSync('sh', ['-n', '-c', script], { encoding: 'utf8' });
      assert.equal(checked.status, 0, `${m.name}: ${checked.stderr}`);
      assert.ok(script.includes(m.install), m.name);
      assert.match(script, /rm -f \/etc\/ssh\/ssh_host_\*/);
      assert.match(script, /yet no sshd is in/);
    }
  });
});
