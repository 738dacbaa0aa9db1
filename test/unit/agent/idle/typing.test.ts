import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decide, type IdleClocks, type IdleSettings } from '../../../../agent/idle/policy';
import {
  MAX_PTYS,
  parseStat,
  readPtys,
  sourceOf,
  strongestSource,
  TypingSignal,
  typedPtys,
  type ProcStat,
} from '../../../../agent/idle/typing';

const MIN = 60_000;
const H = 60 * MIN;
const T0 = Date.parse('2026-01-05T08:00:00Z');
const settings: IdleSettings = { idleTimeout: 30 * MIN, attachedGrace: 4 * H, maxLifetime: 0, warnBefore: 5 * MIN };

/** One connection open since T0, nothing reported, not busy, looked at `at` ms after T0. */
function attached(at: number, over: Partial<IdleClocks> = {}): IdleClocks {
  return {
    now: T0 + at,
    startedAt: T0,
    lastWorkAt: T0,
    lastAttachedAt: T0 + at,
    attached: 1,
    attachedSince: T0,
    lastPresentAt: null,
    lastTypingAt: null,
    busy: false,
    keepUntil: null,
    warning: null,
    ...over,
  };
}

describe('idle policy: typing', () => {
  it('keeps a plain SSH session past its attached grace while someone types in it', () => {
    const d = decide(settings, attached(5 * H, { lastTypingAt: T0 + 5 * H - MIN }));
    assert.equal(d.action, 'keep');
    assert.equal(d.stopAt, T0 + 5 * H - MIN + 30 * MIN);
    assert.equal(d.stopReason, 'idle');
  });

  it('stops a session that was typed in, then left, after the idle timeout rather than the grace', () => {
    const d = decide(settings, attached(20 * MIN, { lastTypingAt: T0 + 10 * MIN }));
    assert.equal(d.action, 'keep');
    assert.equal(d.stopAt, T0 + 40 * MIN);
    assert.equal(d.stopReason, 'idle');
    assert.match(d.reason, /nobody present or typing and not busy for 10 min/);
  });

  it('gives the grace to a connection nobody typed in or reported since it opened', () => {
    const d = decide(settings, attached(2 * H, { attachedSince: T0 + H, lastTypingAt: T0 + 30 * MIN }));
    assert.equal(d.stopReason, 'attached-grace');
    assert.equal(d.stopAt, T0 + 30 * MIN + 4 * H);
  });
});

describe('typing: pty times and processes', () => {
  it('counts a pty whose access time moved, not a new one nor one that did not move', () => {
    const pty = (atimeMs: number) => ({ atimeMs });
    const before = new Map([
      ['0', pty(100)],
      ['1', pty(100)],
      ['2', pty(100)],
    ]);
    const now = new Map([
      ['0', pty(108)],
      ['1', pty(100)],
      ['2', pty(90)],
      ['3', pty(200)],
    ]);
    assert.deepEqual(typedPtys(before, now), ['0']);
    assert.deepEqual(typedPtys(null, now), []);
  });

  it('reads the name, parent and pty from /proc/<pid>/stat', () => {
    // tty_nr 34817 = major 136, minor 1: /dev/pts/1. The name may hold spaces and parentheses.
    assert.deepEqual(parseStat('42 (tmux: server (x)) S 1 42 42 34817 42 4194560 0'), {
      comm: 'tmux: server (x)',
      ppid: 1,
      pty: '1',
    });
    // Minor 300: the high bits of the minor sit above the major.
    const nr = (136 << 8) | (300 & 0xff) | ((300 & ~0xff) << 12);
    assert.equal(parseStat(`7 (bash) S 6 7 7 ${nr} 7 0`)?.pty, '300');
    assert.equal(parseStat('7 (sleep) S 1 7 7 0 -1 0')?.pty, null);
    assert.equal(parseStat('garbage'), null);
  });

  it('names the source from the parents of the processes on the pty', () => {
    const procs = new Map<number, ProcStat>([
      [1, { comm: 'sshd', ppid: 0, pty: null }],
      [10, { comm: 'sshd', ppid: 1, pty: null }],
      [11, { comm: 'bash', ppid: 10, pty: '0' }],
      [20, { comm: 'node', ppid: 1, pty: null }],
      [21, { comm: 'bash', ppid: 20, pty: '1' }],
      [30, { comm: 'tmux: server', ppid: 1, pty: null }],
      [31, { comm: 'bash', ppid: 30, pty: '2' }],
    ]);
    assert.equal(sourceOf(procs, '0'), 'ssh terminal');
    assert.equal(sourceOf(procs, '1'), 'vscode terminal');
    assert.equal(sourceOf(procs, '2'), 'terminal');
    assert.equal(strongestSource(['terminal', 'ssh terminal']), 'ssh terminal');
    assert.equal(strongestSource([]), null);
  });

  it('samples a fake /proc: a baseline first, then the typed pty and its source', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'typing-'));
    try {
      const pts = path.join(root, '5', 'root', 'dev', 'pts');
      await fs.mkdir(pts, { recursive: true });
      await fs.writeFile(path.join(pts, '0'), '');
      await fs.writeFile(path.join(pts, 'ptmx'), '');
      const proc = async (pid: number, stat: string, children: string) => {
        await fs.mkdir(path.join(root, String(pid), 'task', String(pid)), { recursive: true });
        await fs.writeFile(path.join(root, String(pid), 'stat'), stat);
        await fs.writeFile(path.join(root, String(pid), 'task', String(pid), 'children'), children);
      };
      await proc(5, '5 (sshd) S 0 5 5 0 -1 0', '6 ');
      await proc(6, '6 (sshd) S 5 6 6 0 -1 0', '7 ');
      await proc(7, `7 (bash) S 6 7 7 ${136 << 8} 7 0`, '');
      const signal = new TypingSignal(root);
      const file = path.join(pts, '0');
      await fs.utimes(file, 1000, 1000);
      assert.equal(await signal.sample('w', 5), null, 'the first sample is a baseline');
      assert.equal(await signal.sample('w', 5), null, 'nothing read since');
      await fs.utimes(file, 1008, 1000);
      assert.equal(await signal.sample('w', 5), 'ssh terminal');
      assert.equal(await signal.sample('w', 6), null, 'another process: a new baseline');
      assert.equal(await signal.sample('w', 99), null, 'no such process');
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });

  it('reads at most MAX_PTYS ptys of a /dev/pts that the container filled with files', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'typing-'));
    try {
      const pts = path.join(root, '5', 'root', 'dev', 'pts');
      await fs.mkdir(pts, { recursive: true });
      const names = Array.from({ length: MAX_PTYS + 500 }, (_, i) => String(i));
      await Promise.all(names.map((name) => fs.writeFile(path.join(pts, name), '')));
      assert.equal((await readPtys(5, root))?.size, MAX_PTYS);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});
