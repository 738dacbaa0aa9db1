import * as assert from 'node:assert/strict';
import type { AgentClient } from '../../client/agent-client';
import type { ErrorCode, RequestId } from '../../protocol';
import { AgentProcess } from '../support/agent-process';
import { requireDocker } from '../support/docker';
import { Raw } from './hostile-values';
import { Wire, assertUp, destroyAgent, errorOf, mint, printFigures } from './support';

/** A hostile request or frame, and the one error it must get. */
export interface Case {
  /** The frame: a {@link Raw} or a string (sent as text, as it is), a Buffer (binary), or anything else (JSON). */
  frame: unknown;
  /** The id the error must carry (null: the frame could not be read as a request). */
  id: RequestId | null;
  codes: ErrorCode[];
  mention?: RegExp;
  /** Sent on an admin's connection (methods that name other users). */
  admin?: boolean;
}

/** The agent of a hostile-input suite, its users, and the check every case goes through. */
export interface HostileAgent {
  readonly agent: AgentProcess;
  readonly aliceToken: string;
  /** An admin's connection (renewed whenever the agent had to be restarted). */
  readonly admin: AgentClient;
  /** Counts a case that does not go through {@link refusedOnce}. */
  count(): void;
  /**
   * Sends `c.frame` on a fresh connection of alice (or the admin) and checks: exactly one error, with
   * the expected code and a clear message; the same connection answers its next request; another
   * user's new connection is served too (nothing was polluted); and the agent lives.
   */
  refusedOnce(c: Case): Promise<void>;
}

/**
 * Registers the hooks of a hostile-input suite in the current `describe`: an agent with users alice,
 * bob and an admin; `setup` runs once with alice's connection, `tidy` after every case. A case after
 * which the agent died or stopped serving fails on its own, and the next one gets a restarted agent
 * (the restarts are printed with the suite's figures).
 */
export function useHostileAgent(
  title: string,
  setup: (alice: AgentClient) => Promise<void> = async () => undefined,
  tidy: (admin: AgentClient) => Promise<void> = async () => undefined,
): HostileAgent {
  let agent: AgentProcess;
  let aliceToken = '';
  let bobToken = '';
  let adminToken = '';
  let admin: AgentClient;
  let cases = 0;
  const broken: string[] = [];

  /** Whether the agent still serves a new connection of another user. */
  async function serves(): Promise<boolean> {
    if (!agent.alive) return false;
    try {
      const wire = await Wire.greeted(agent.url, bobToken);
      try {
        return 'result' in (await wire.request('workspace.list', {}));
      } finally {
        wire.close();
      }
    } catch {
      return false;
    }
  }

  before(async () => {
    requireDocker();
    agent = await AgentProcess.start();
    aliceToken = mint(agent, 'alice').token;
    bobToken = mint(agent, 'bob').token;
    adminToken = mint(agent, 'root', true).token;
    admin = await agent.connect(adminToken);
    const alice = await agent.connect(aliceToken);
    try {
      await setup(alice);
    } finally {
      alice.close();
    }
  });

  afterEach(async function () {
    if (!(await serves())) {
      broken.push(this.currentTest?.title ?? '?');
      await agent.kill9();
      await agent.restart();
      admin.close();
      admin = await agent.connect(adminToken);
    }
    await tidy(admin);
  });

  after(async () => {
    admin?.close();
    printFigures(title, [
      ['cases sent', cases],
      ['cases after which the agent died or stopped serving', broken.length],
      ...broken.map((name, i): [string, string] => [`  ${i + 1}.`, name]),
    ]);
    await destroyAgent(agent);
  });

  return {
    get agent() {
      return agent;
    },
    get aliceToken() {
      return aliceToken;
    },
    get admin() {
      return admin;
    },
    count: () => void cases++,
    async refusedOnce(c: Case): Promise<void> {
      cases++;
      const wire = await Wire.greeted(agent.url, c.admin ? adminToken : aliceToken);
      try {
        wire.send(c.frame instanceof Raw ? c.frame.json : c.frame);
        errorOf(await wire.reply(c.id), c.codes, c.mention);
        const next = await wire.request('workspace.list', {});
        assert.ok('result' in next, `the next request was refused: ${JSON.stringify(next).slice(0, 300)}`);
        assert.equal(wire.pendingReplies(c.id), 0, 'a second reply to the same request');
      } finally {
        wire.close();
      }
      const other = await Wire.greeted(agent.url, bobToken);
      try {
        const info = await other.request('host.info', {});
        assert.ok('result' in info, `another user's request was refused: ${JSON.stringify(info).slice(0, 300)}`);
        assert.equal((info.result as { user: { admin: boolean } }).user.admin, false, 'bob became an admin');
      } finally {
        other.close();
      }
      await assertUp(agent);
    },
  };
}
