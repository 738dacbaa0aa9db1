import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { AgentClient } from '../../client/agent-client';
import { ERROR_CODES, Reply } from '../../protocol';
import { AgentProcess, sshPortRange } from '../support/agent-process';
import { requireDocker } from '../support/docker';
import { waitFor } from '../support/wait';
import {
  MiB,
  SMALL,
  Wire,
  agentPid,
  assertUp,
  destroyAgent,
  errorOf,
  fdCount,
  mib,
  mint,
  percentile,
  printFigures,
  rssBytes,
} from './support';

const CONNECTIONS = 300;
/** Users the connections are spread over: an agent may cap one user's sessions (a CLI holds one, a window one). */
const USERS = 10;
/** Connections one user opens at once, to see that a cap (if any) refuses clearly and leaves none hanging. */
const ONE_USER = 200;
const CREATES = 10;
const FAN_OUT = 100;
const FAN_OUT_EVENTS = 5;
const FOLLOWS = 300;
/** How much a client that never reads may grow the agent before the test calls it unbounded. */
const SLOW_READER_BOUND = 256 * MiB;
/** How long a socket may say nothing before the agent must have closed it ("a few seconds" and headers timeouts). */
const SILENT_DEADLINE_MS = 30_000;

const ms = (value: number) => `${Math.round(value)} ms`;

describe('adversarial: a short load run', function () {
  this.timeout(300_000);
  let agent: AgentProcess;
  let pid: number;
  let token: string;
  /** Tokens of USERS users; the connections of the load are spread over them. */
  let spread: string[];
  /** Admins that watch every workspace, for the fan-out. */
  let watchers: string[];
  const figures: [string, string | number][] = [];
  let rssStart = 0;

  before(async () => {
    requireDocker();
    agent = await AgentProcess.start({ ports: sshPortRange(CREATES + 5) });
    token = mint(agent, 'alice').token;
    spread = Array.from({ length: USERS }, (_, i) => mint(agent, `load-user-${i}`).token);
    watchers = [mint(agent, 'watcher-0', true).token, mint(agent, 'watcher-1', true).token];
    pid = agentPid(agent);
    rssStart = rssBytes(pid);
  });

  after(async () => {
    figures.unshift(['agent RSS before the run', mib(rssStart)]);
    printFigures('load', figures);
    await destroyAgent(agent);
  });

  /**
   * Opens a connection with the real client, but gives up after 30 s: a connection the agent closes
   * before its welcome must fail, not hang the run.
   */
  async function connect(secret: string): Promise<AgentClient> {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('neither welcomed nor refused within 30 s')), 30_000);
    });
    try {
      return await Promise.race([agent.connect(secret), gaveUp]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Opens `tokens.length` connections at once; fails naming every one that was not welcomed. */
  async function connectAll(tokens: string[]): Promise<AgentClient[]> {
    const outcomes = await Promise.allSettled(tokens.map(connect));
    const clients = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as Error).message] : []));
    if (!failures.length) return clients;
    for (const client of clients) client.close();
    const counts = [...new Set(failures)].map((why) => `${failures.filter((f) => f === why).length} × ${why}`);
    throw new Error(`${failures.length} of ${tokens.length} connections failed: ${counts.join('; ')}`);
  }

  it(`accepts ${CONNECTIONS} connections at once (${USERS} users), each welcomed and answered`, async () => {
    const started = performance.now();
    const clients = await connectAll(Array.from({ length: CONNECTIONS }, (_, i) => spread[i % USERS]!));
    const connected = performance.now() - started;
    try {
      const latencies = await Promise.all(
        clients.map(async (client) => {
          const sent = performance.now();
          await client.request('workspace.list', {});
          return performance.now() - sent;
        }),
      );
      figures.push(
        [`connections/s (${CONNECTIONS} at once, to welcome)`, Math.round(CONNECTIONS / (connected / 1000))],
        [`workspace.list under ${CONNECTIONS} connections, p50`, ms(percentile(latencies, 50))],
        [`workspace.list under ${CONNECTIONS} connections, p95`, ms(percentile(latencies, 95))],
      );
    } finally {
      for (const client of clients) client.close();
    }
    await assertUp(agent);
  });

  it(`one user opening ${ONE_USER} connections at once: each is welcomed or refused with a reason, none hangs, others still connect`, async () => {
    const outcomes = await Promise.allSettled(Array.from({ length: ONE_USER }, () => connect(token)));
    const welcomed = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as Error).message] : []));
    try {
      figures.push([
        `one user's ${ONE_USER} connections: welcomed / refused`,
        `${welcomed.length} / ${refused.length}`,
      ]);
      const hung = refused.filter((why) => /within 30 s/.test(why));
      assert.deepEqual(hung, [], `${hung.length} connections were neither welcomed nor refused`);
      for (const why of refused) assert.match(why, /\w{3,}/, 'a refusal without a reason');
      const other = await connect(spread[0]!);
      assert.ok((await other.request('workspace.list', {})).workspaces);
      other.close();
    } finally {
      for (const client of welcomed) client.close();
    }
    await assertUp(agent);
  });

  it(`creates ${CREATES} workspaces concurrently (0.25 CPU, 128 MiB each), all running on distinct ports`, async () => {
    const client = await connect(token);
    try {
      const results = await Promise.all(
        Array.from({ length: CREATES }, async (_, i) => {
          const sent = performance.now();
          const { workspace } = await client.request('workspace.create', { name: `load-${i}`, ...SMALL });
          return { workspace, took: performance.now() - sent };
        }),
      );
      for (const { workspace } of results) assert.equal(workspace.state, 'running', workspace.name);
      const ports = results.map(({ workspace }) => workspace.ssh.port);
      assert.equal(new Set(ports).size, ports.length, 'a port was given twice');
      const took = results.map((r) => r.took);
      figures.push(
        [`create p50 (${CREATES} concurrent)`, ms(percentile(took, 50))],
        [`create p95 (${CREATES} concurrent)`, ms(percentile(took, 95))],
        ['agent RSS with the workspaces made', mib(rssBytes(pid))],
      );
    } finally {
      client.close();
    }
  });

  it(`fans each workspace change out to ${FAN_OUT} clients, every one of them getting every change`, async () => {
    // Events go to the owner's connections and to admins': half of each (one user may be capped).
    const sender = await connect(token);
    const clients = await connectAll(
      Array.from({ length: FAN_OUT }, (_, i) => (i < FAN_OUT / 2 ? token : watchers[i % watchers.length]!)),
    );
    const delivery: number[] = [];
    try {
      for (let round = 0; round < FAN_OUT_EVENTS; round++) {
        const idleTimeout = 3600 + 60 * round;
        const got = new Map<AgentClient, number>();
        const unsubscribe = clients.map((client) =>
          client.onEvent((event) => {
            if (
              event.event === 'workspace.changed' &&
              event.data.workspace.name === 'load-0' &&
              event.data.workspace.spec.idleTimeout === idleTimeout &&
              !got.has(client)
            ) {
              got.set(client, performance.now());
            }
          }),
        );
        const sent = performance.now();
        await sender.request('workspace.update', { name: 'load-0', changes: { idleTimeout } });
        await waitFor(`the change to reach all ${FAN_OUT} clients (${got.size} so far)`, () => got.size === FAN_OUT);
        for (const at of got.values()) delivery.push(at - sent);
        for (const stop of unsubscribe) stop();
      }
      figures.push(
        [`event delivery to ${FAN_OUT} clients, p50`, ms(percentile(delivery, 50))],
        [`event delivery to ${FAN_OUT} clients, p95`, ms(percentile(delivery, 95))],
        [`event delivery to ${FAN_OUT} clients, max`, ms(Math.max(...delivery))],
      );
    } finally {
      sender.close();
      for (const client of clients) client.close();
    }
  });

  it(`caps followed log streams: of ${FOLLOWS} follows on one connection some are refused with a clear error`, async () => {
    const wire = await Wire.greeted(agent.url, token);
    const before = fdCount(pid);
    let outcome: { refused: Record<string, unknown> } | { held: number };
    try {
      for (let i = 0; i < FOLLOWS; i++) {
        wire.send({ id: `follow-${i}`, method: 'workspace.logs', params: { name: 'load-1', follow: true, tail: 1 } });
      }
      outcome = await waitFor(
        `a follow to be refused, or all ${FOLLOWS} to be held open`,
        () => {
          const refused = wire.frames.find((f) => 'error' in f && String(f.id).startsWith('follow-'));
          if (refused) return { refused };
          const held = fdCount(pid) - before;
          return held >= FOLLOWS - 20 ? { held } : null;
        },
        60_000,
      );
    } finally {
      wire.close();
    }
    figures.push(['log follows held open at most', 'held' in outcome ? `${outcome.held}+ (no cap)` : 'capped']);
    // Closing the connection ends its streams: their descriptors go back.
    await waitFor('the followed streams to be closed', () => fdCount(pid) <= before + 10, 30_000);
    assert.ok(
      'refused' in outcome,
      `all ${FOLLOWS} follows were held open (${'held' in outcome ? outcome.held : 0} more descriptors)`,
    );
    const codes = ERROR_CODES.filter((code) => code !== 'internal');
    errorOf(Reply.parse(outcome.refused), codes);
    await assertUp(agent);
  });

  it(`closes, or stops reading from, a client that never reads before the agent grows by ${mib(SLOW_READER_BOUND)}`, async () => {
    const wire = await Wire.greeted(agent.url, token);
    const base = rssBytes(pid);
    let sent = 0;
    let peak = base;
    let outcome: 'closed' | 'not reading' | 'grew';
    try {
      // Stop reading: the kernel's buffers fill up, then whatever the agent keeps for this connection.
      wire.ws.pause();
      outcome = await waitFor(
        'the agent to close the connection, to stop reading it, or to grow past the bound',
        () => {
          if (wire.closeInfo) return 'closed';
          const rss = rssBytes(pid);
          peak = Math.max(peak, rss);
          if (rss - base > SLOW_READER_BOUND) return 'grew';
          // Our own writes back up once the agent no longer reads what we send.
          if (wire.ws.bufferedAmount > 8 * MiB) return 'not reading';
          for (let i = 0; i < 500; i++) wire.ws.send(`{"id":${sent++},"method":"workspace.list","params":{}}`);
          return null;
        },
        120_000,
        20,
      );
    } finally {
      wire.close();
    }
    figures.push(
      ['slow reader: requests sent', sent],
      ['slow reader: outcome', outcome === 'closed' ? `closed (${wire.closeInfo?.code})` : outcome],
      ['slow reader: agent RSS growth, peak', mib(peak - base)],
    );
    assert.notEqual(outcome, 'grew', `the agent grew by more than ${mib(SLOW_READER_BOUND)} for one client`);
    await assertUp(agent);
  });

  describe('sockets that say nothing', () => {
    const silent: net.Socket[] = [];
    const stalled: net.Socket[] = [];
    const closedSockets = new Set<net.Socket>();
    const unhello: Wire[] = [];
    let openedAt = 0;
    const deadline = () => Math.max(1, openedAt + SILENT_DEADLINE_MS - Date.now());

    const open = (greeting: string | null) =>
      new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect(agent.port, '127.0.0.1');
        socket.on('close', () => closedSockets.add(socket));
        socket.on('data', () => undefined);
        socket.once('error', () => undefined);
        socket.once('connect', () => {
          if (greeting !== null) socket.write(greeting);
          resolve(socket);
        });
        socket.once('error', reject);
      });

    before(async () => {
      for (let batch = 0; batch < 10; batch++) {
        silent.push(...(await Promise.all(Array.from({ length: 100 }, () => open(null)))));
      }
      const partial = `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`;
      stalled.push(...(await Promise.all(Array.from({ length: 100 }, () => open(partial)))));
      const silentUser = mint(agent, 'silent').token;
      unhello.push(...(await Promise.all(Array.from({ length: 100 }, () => Wire.open(agent.url, silentUser)))));
      openedAt = Date.now();
      figures.push(['agent descriptors with 1,200 silent sockets', fdCount(pid)]);
    });

    after(() => {
      for (const socket of [...silent, ...stalled]) socket.destroy();
      for (const wire of unhello) wire.close();
    });

    it('serves a new client while 1,000 silent sockets, 100 stalled upgrades and 100 unwelcomed sockets are open', async () => {
      const client = await connect(token);
      try {
        assert.ok((await client.request('workspace.list', {})).workspaces.length >= CREATES);
      } finally {
        client.close();
      }
    });

    it(`closes TCP connections that never send a byte within ${SILENT_DEADLINE_MS / 1000} s`, async () => {
      await waitFor(
        'the silent sockets to be closed',
        () => silent.every((socket) => closedSockets.has(socket)),
        deadline(),
      ).catch((err: Error) => {
        throw new Error(`${err.message} (${silent.filter((s) => !closedSockets.has(s)).length} of 1000 still open)`);
      });
    });

    it(`closes connections that stall in the middle of the upgrade within ${SILENT_DEADLINE_MS / 1000} s`, async () => {
      await waitFor(
        'the stalled upgrades to be closed',
        () => stalled.every((socket) => closedSockets.has(socket)),
        deadline(),
      ).catch((err: Error) => {
        throw new Error(`${err.message} (${stalled.filter((s) => !closedSockets.has(s)).length} of 100 still open)`);
      });
    });

    it(`closes authenticated connections that never say hello within ${SILENT_DEADLINE_MS / 1000} s`, async () => {
      await waitFor(
        'the connections without a hello to be closed',
        () => unhello.every((wire) => wire.closeInfo),
        deadline(),
      ).catch((err: Error) => {
        throw new Error(`${err.message} (${unhello.filter((w) => !w.closeInfo).length} of 100 still open)`);
      });
      await assertUp(agent);
    });
  });

  describe('afterwards', () => {
    it('stops on SIGTERM within 30 s', async () => {
      figures.push(['agent RSS after the run', mib(rssBytes(pid))], ['agent descriptors after the run', fdCount(pid)]);
      const stopping = agent.stop();
      await waitFor('the agent to exit on SIGTERM', () => !agent.alive, 30_000).catch((err: Error) => {
        throw new Error(`${err.message}; its log ends:\n${agent.log.slice(-1500)}`);
      });
      await stopping;
    });
  });
});
