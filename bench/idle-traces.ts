/**
 * Idle economics by trace replay: `node --import tsx bench/idle-traces.ts [--grace SECONDS]`.
 *
 * Day-long signal traces, one step per minute, replayed through the agent's own decision function
 * (agent/idle/policy.ts, with the agent's default settings) and through the rule "any open
 * connection is activity" (stop 30 min after the last minute with a connection; busy processes do
 * not count, as in the products that use it). No Docker, no timers: pure and deterministic (the
 * typing pauses come from a seeded generator).
 *
 * A trace says, for each workspace and minute, what the agent would observe: someone present (a
 * presence report that minute), someone typing (input read from one of its terminals, seen by the
 * agent without any client: issue #16), SSH connections open, the workspace busy (CPU or GPU). When a policy
 * stops a workspace it stays stopped until its user is present again (the user starts it), losing
 * any work that was running: Berth never restarts a workspace because a client reconnected.
 *
 * Per trace and in total, for each policy:
 *   idle GPU-h   GPU-hours held while nobody worked or computed: minutes running, holding GPUs, with
 *                no presence report, no typing and not busy.
 *   false stops  stops in a minute where someone was present, typing or the workspace was busy (a
 *                stop a minute into a pause after typing does not count; neither policy does it).
 * A third column replays Berth blind to typing (as before issue #16), to show what the signal buys.
 * Goal: zero false stops for Berth, and at least 97 % fewer idle GPU-hours than the rule.
 * `--grace SECONDS` and `--timeout SECONDS` replay another attached grace or idle timeout (the
 * default's choice is in BENCHMARKS.md; the rule keeps the default 30 min).
 */
import { decide, type IdleSettings, type Warning } from '../agent/idle/policy';
import { defaultIdleConfig } from '../agent/idle/settings';

const MIN = 60_000;
/** Traces run from 00:00 to 09:00 the next morning (33 h), when people are back at work. */
const SPAN = 33 * 60;
/** A pause in presence reports up to this long (thinking, reading, a coffee) still counts as someone working. */
const PAUSE = 10;

/** One workspace's trace: what the agent would see, minute by minute. */
interface WorkspaceTrace {
  gpus: number;
  present: boolean[];
  typing: boolean[];
  attached: number[];
  busy: boolean[];
}

interface Trace {
  name: string;
  workspaces: WorkspaceTrace[];
}

/** A deterministic generator (mulberry32), so every run replays the same traces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `HH:MM` as minutes since the start of the trace. */
const at = (hhmm: string): number => {
  const [h = 0, m = 0] = hhmm.split(':').map(Number);
  return h * 60 + m;
};

/** A builder for one workspace's day. */
class Day {
  readonly trace: WorkspaceTrace;
  private readonly rnd: () => number;

  constructor(gpus: number, seed: number, minutes = SPAN) {
    this.trace = {
      gpus,
      present: new Array<boolean>(minutes).fill(false),
      typing: new Array<boolean>(minutes).fill(false),
      attached: new Array<number>(minutes).fill(0),
      busy: new Array<boolean>(minutes).fill(false),
    };
    this.rnd = random(seed);
  }

  /** Typing, clicking and terminal input from `from` to `to`: bursts of 5–40 min with 1–12 min pauses. */
  typing(from: string, to: string, into: 'present' | 'typing' = 'present'): this {
    let t = at(from);
    while (t < at(to)) {
      const burst = 5 + Math.floor(this.rnd() * 36);
      for (let m = t; m < Math.min(t + burst, at(to)); m++) this.trace[into][m] = true;
      t += burst + 1 + Math.floor(this.rnd() * 12);
    }
    return this;
  }

  /** Typing in a terminal from `from` to `to` that no client reports: only the agent's pty watch sees it. */
  terminal(from: string, to: string): this {
    return this.typing(from, to, 'typing');
  }

  /** A presence report each minute from `from` to `to` (window focus, an edit). */
  reported(from: string, to: string): this {
    for (let m = at(from); m < at(to); m++) this.trace.present[m] = true;
    return this;
  }

  /** `count` SSH connections open from `from` to `to` (a VS Code window, a terminal). */
  connected(from: string, to: string, count = 1): this {
    for (let m = at(from); m < at(to); m++) this.trace.attached[m] = (this.trace.attached[m] ?? 0) + count;
    return this;
  }

  /** CPU or GPU work from `from` to `to` (a build, a training run). */
  computing(from: string, to: string): this {
    for (let m = at(from); m < at(to); m++) this.trace.busy[m] = true;
    return this;
  }
}

/** The traces of issue #5 (times from 00:00 of the first day; `24:00` and later are the next day). */
function traces(): Trace[] {
  return [
    {
      name: 'typing bursts with lunch breaks',
      workspaces: [
        new Day(1, 1)
          .connected('08:55', '12:05')
          .typing('09:00', '12:00')
          .connected('13:00', '17:35')
          .typing('13:05', '17:30').trace,
      ],
    },
    {
      name: 'window left open overnight',
      workspaces: [new Day(1, 2).connected('09:00', '33:00').typing('09:00', '12:30').typing('13:30', '18:00').trace],
    },
    {
      name: 'training run with nobody attached',
      workspaces: [
        new Day(4, 3).connected('09:00', '09:40').typing('09:00', '09:35').computing('09:30', '21:00').trace,
      ],
    },
    {
      name: 'terminal tailing a log',
      workspaces: [new Day(1, 4).connected('10:00', '33:00').typing('10:00', '11:00').trace],
    },
    {
      name: 'laptop sleeps, connection half-open',
      // The laptop sleeps at 17:00 without closing the connection; the workspace's sshd drops it after
      // ClientAliveInterval 30 × ClientAliveCountMax 3 (berth-init), so the agent sees it 2 more minutes.
      workspaces: [new Day(1, 5).connected('09:00', '17:02').typing('09:00', '12:00').typing('13:00', '17:00').trace],
    },
    {
      name: 'several users sharing GPUs',
      workspaces: [
        new Day(2, 6).connected('09:00', '17:30').typing('09:00', '12:00').typing('13:00', '17:30').trace,
        new Day(2, 7).connected('10:00', '33:00').typing('10:00', '12:00').typing('14:00', '16:00').trace,
        new Day(2, 8).connected('08:00', '09:00').typing('08:00', '08:50').computing('08:45', '14:00').trace,
        new Day(1, 9).connected('11:00', '33:00').typing('11:00', '11:30').computing('11:20', '11:50').trace,
      ],
    },
    {
      name: 'plain-SSH typist, terminal left open',
      // `ssh -tt` from a laptop, no client reporting anything; the terminal stays open overnight.
      workspaces: [
        new Day(1, 10).connected('09:00', '33:00').terminal('09:00', '12:00').terminal('13:00', '18:30').trace,
      ],
    },
    {
      name: 'tmux attached overnight, job printing output',
      // Work in tmux over ssh; a training run prints progress until 22:00, then a `tail -f` of its log
      // prints nothing new and uses no CPU, in the window left attached until the morning.
      workspaces: [
        new Day(2, 11)
          .connected('09:00', '33:00')
          .terminal('09:00', '12:30')
          .terminal('13:30', '17:40')
          .computing('17:30', '22:00').trace,
      ],
    },
    {
      name: 'VS Code terminal used without editing',
      // The Berth extension reports window focus (09:00, after lunch at 14:00); the rest is typing in
      // the integrated terminal, which it does not report. The window stays open overnight.
      workspaces: [
        new Day(1, 12)
          .connected('09:00', '33:00')
          .reported('09:00', '09:02')
          .terminal('09:00', '12:00')
          .reported('14:00', '14:02')
          .terminal('14:00', '17:30').trace,
      ],
    },
  ];
}

interface Outcome {
  idleGpuHours: number;
  falseStops: number;
  stops: number;
}

type Policy = (ws: WorkspaceTrace) => Outcome;

/** Replays one workspace through a stop rule; `step` returns true to stop at minute `m`. */
function replay(ws: WorkspaceTrace, start: (m: number) => void, step: (m: number) => boolean): Outcome {
  const out: Outcome = { idleGpuHours: 0, falseStops: 0, stops: 0 };
  let running = false;
  let lastPresent = -Infinity;
  for (let m = 0; m < ws.present.length; m++) {
    const present = (ws.present[m] ?? false) || (ws.typing[m] ?? false);
    if (present) lastPresent = m;
    const busy = ws.busy[m] ?? false;
    const used = present || busy || (ws.attached[m] ?? 0) > 0;
    // The user starts the workspace when they come to work in it (a connection or typing); a run
    // started by hand goes on only while the workspace runs.
    if (!running && (present || (used && m === 0) || ((ws.attached[m] ?? 0) > 0 && (ws.attached[m - 1] ?? 0) === 0))) {
      running = true;
      start(m);
    }
    if (!running) continue;
    if (step(m)) {
      running = false;
      out.stops++;
      if (present || busy) out.falseStops++;
      continue;
    }
    if (m - lastPresent > PAUSE && !busy) out.idleGpuHours += ws.gpus / 60;
  }
  return out;
}

/** Berth: the agent's own policy, sampled every minute, with the agent's defaults (`seesTyping` false: blind to typing). */
function berth(settings: IdleSettings, seesTyping = true): Policy {
  return (ws) => {
    let startedAt = 0;
    let lastWorkAt = 0;
    let lastAttachedAt: number | null = null;
    let attachedSince: number | null = null;
    let lastPresentAt: number | null = null;
    let lastTypingAt: number | null = null;
    let warning: Warning | null = null;
    return replay(
      ws,
      (m) => {
        startedAt = lastWorkAt = m * MIN;
        lastAttachedAt = attachedSince = lastPresentAt = lastTypingAt = null;
        warning = null;
      },
      (m) => {
        const now = m * MIN;
        const attached = ws.attached[m] ?? 0;
        const busy = ws.busy[m] ?? false;
        if (ws.present[m] || busy) lastWorkAt = now;
        if (ws.present[m]) lastPresentAt = now;
        if (seesTyping && ws.typing[m]) lastTypingAt = now;
        if (attached > 0) {
          lastAttachedAt = now;
          attachedSince ??= now;
        } else attachedSince = null;
        const d = decide(settings, {
          now,
          startedAt,
          lastWorkAt,
          lastAttachedAt,
          attached,
          attachedSince,
          lastPresentAt,
          lastTypingAt,
          busy,
          keepUntil: null,
          warning,
        });
        warning = d.warning;
        return d.action === 'stop';
      },
    );
  };
}

/** "Any open connection is activity": stop `timeout` after the last minute with a connection. */
function anyConnection(timeoutMinutes: number): Policy {
  return (ws) => {
    let last = 0;
    return replay(
      ws,
      (m) => (last = m),
      (m) => {
        if ((ws.attached[m] ?? 0) > 0 || ws.present[m] || ws.typing[m]) last = m;
        return m - last >= timeoutMinutes;
      },
    );
  };
}

function sum(outcomes: Outcome[]): Outcome {
  return outcomes.reduce(
    (a, b) => ({
      idleGpuHours: a.idleGpuHours + b.idleGpuHours,
      falseStops: a.falseStops + b.falseStops,
      stops: a.stops + b.stops,
    }),
    { idleGpuHours: 0, falseStops: 0, stops: 0 },
  );
}

function main(): number {
  const config = defaultIdleConfig();
  const graceFlag = process.argv.indexOf('--grace');
  if (graceFlag > 0) config.attachedGrace = Number(process.argv[graceFlag + 1]);
  const timeoutFlag = process.argv.indexOf('--timeout');
  const ruleTimeout = config.timeout;
  if (timeoutFlag > 0) config.timeout = Number(process.argv[timeoutFlag + 1]);
  const settings: IdleSettings = {
    idleTimeout: config.timeout * 1000,
    attachedGrace: config.attachedGrace * 1000,
    maxLifetime: config.maxLifetime * 1000,
    warnBefore: config.warnBefore * 1000,
  };
  const policies: [string, Policy][] = [
    ['berth', berth(settings)],
    ['any-connection', anyConnection(ruleTimeout / 60)],
    ['blind', berth(settings, false)],
  ];
  console.log(
    `Idle trace replay: idle timeout ${config.timeout / 60} min, attached grace ${config.attachedGrace / 3600} h, warning ${config.warnBefore / 60} min; rule: stop ${ruleTimeout / 60} min after the last open connection.\n`,
  );
  const rows: string[][] = [];
  const totals = new Map<string, Outcome[]>();
  for (const trace of traces()) {
    const cells = [trace.name];
    for (const [name, policy] of policies) {
      const outcome = sum(trace.workspaces.map(policy));
      totals.set(name, [...(totals.get(name) ?? []), outcome]);
      cells.push(outcome.idleGpuHours.toFixed(2), String(outcome.falseStops));
    }
    rows.push(cells);
  }
  const total = policies.map(([name]) => sum(totals.get(name) ?? []));
  rows.push(['TOTAL', ...total.flatMap((o) => [o.idleGpuHours.toFixed(2), String(o.falseStops)])]);
  const header = [
    'trace',
    'berth idle GPU-h',
    'berth false stops',
    'any-conn idle GPU-h',
    'any-conn false stops',
    'no-typing idle GPU-h',
    'no-typing false stops',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  const [ours, rule] = total;
  const saving = rule && ours && rule.idleGpuHours > 0 ? 1 - ours.idleGpuHours / rule.idleGpuHours : 0;
  const met = ours?.falseStops === 0 && saving >= 0.97;
  console.log(
    `\nBerth: ${ours?.falseStops} false stops, ${(saving * 100).toFixed(1)} % fewer idle GPU-hours than "any open connection is activity" (goal: 0 and at least 97 %): ${met ? 'met' : 'NOT met'}.`,
  );
  return 0;
}

process.exitCode = main();
