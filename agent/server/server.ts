import * as http from 'node:http';
import * as os from 'node:os';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type ServerOptions } from 'ws';
import { CLOSE_TOKEN_REVOKED, MAX_FRAME_BYTES, PROTOCOL_VERSION } from '../../protocol';
import type { Users } from '../users';
import { errorMessage, type Logger } from '../../util/log';
import type { EventBus } from '../workspaces/events';
import { AGENT_VERSION } from '../version';
import type { Handlers } from './handlers';
import { HandshakeGuard } from './handshake-guard';
import { CLOSE_TIMEOUT_MS, MAX_SESSIONS_PER_USER, Tally } from './limits';
import { Session } from './session';

export interface ServerDeps {
  users: Users;
  handlers: Handlers;
  bus: EventBus;
  log: Logger;
}

/** A listening agent endpoint. */
export interface AgentServer {
  /** The bound address (port resolved when 0 was asked for). */
  address: { host: string; port: number };
  close(): Promise<void>;
}

/** Refuses an upgrade with a plain HTTP response: a caller without a valid token never gets a socket. */
function refuse(socket: Duplex, status: number, reason: string, message: string): void {
  const body = JSON.stringify({ error: { code: status === 401 ? 'unauthorized' : 'internal', message } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** What a client whose token was revoked is told when its connection is closed (at most 123 bytes). */
export const REVOKED_REASON = "token revoked; ask the host's operator for a new one";

/**
 * Closes the connections whose token is no longer live. Runs whenever the users file changes: the
 * agent's own revocations at once, the CLI's (`berth token revoke` on the host) within the second
 * the file's stat is polled at (see {@link Users.watch}).
 */
function closeRevokedSessions(sessions: ReadonlySet<Session>, users: Users, log: Logger): () => void {
  let running = false;
  let again = false;
  const check = async (): Promise<void> => {
    if (running) return void (again = true);
    running = true;
    try {
      do {
        again = false;
        for (const session of sessions) {
          if (!(await users.isLive(session.tokenId))) session.close(CLOSE_TOKEN_REVOKED, REVOKED_REASON);
        }
      } while (again);
    } catch (err) {
      log.error(`could not check the open connections' tokens: ${errorMessage(err)}`);
    } finally {
      running = false;
    }
  };
  return () => void check();
}

/**
 * The agent's HTTP server: `GET /healthz` for readiness checks, and the WebSocket endpoint where the
 * bearer token is checked at the upgrade. Connections on their way there are bounded in number and
 * time by a {@link HandshakeGuard}; sessions bound themselves (see `limits.ts`).
 */
export function startServer(listen: { host: string; port: number }, deps: ServerDeps): Promise<AgentServer> {
  // Frames past the protocol limit are answered with `frame_too_large`; only far bigger ones drop the connection.
  // `closeTimeout` is newer than @types/ws: without it a closing peer that never answers holds its socket 30 s.
  const options: ServerOptions & { closeTimeout: number } = {
    noServer: true,
    maxPayload: 4 * MAX_FRAME_BYTES,
    closeTimeout: CLOSE_TIMEOUT_MS,
  };
  const wss = new WebSocketServer(options);
  const guard = new HandshakeGuard(deps.log);
  const server = http.createServer((req, res) => {
    guard.request(req.socket);
    if (req.method === 'GET' && req.url === '/healthz') {
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ ok: true, version: AGENT_VERSION, protocol: PROTOCOL_VERSION }));
      return;
    }
    res
      .writeHead(426, { 'Content-Type': 'text/plain' })
      .end('This is a Berth agent: connect with the berth CLI or the VS Code extension.\n');
  });

  const sessions = new Set<Session>();
  const perUser = new Tally<string>(MAX_SESSIONS_PER_USER);
  const unwatch = deps.users.watch(closeRevokedSessions(sessions, deps.users, deps.log));

  server.on('connection', (socket) => guard.accepted(socket));
  server.on('upgrade', (req, socket, head) => {
    guard.upgrading(socket);
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!match?.[1]) {
      return refuse(
        socket,
        401,
        'Unauthorized',
        'no token; pass one with --token or BERTH_TOKEN (make one with: berth token create --user NAME)',
      );
    }
    deps.users.identify(match[1]).then(
      (identity) => {
        if (!identity) {
          return refuse(
            socket,
            401,
            'Unauthorized',
            'this token is not valid for this agent; make a new one with: berth token create --user NAME',
          );
        }
        if (identity.revokedAt) {
          return refuse(
            socket,
            401,
            'Unauthorized',
            `this token (id ${identity.tokenId}) was revoked at ${identity.revokedAt}; ask the host's operator for a new one (berth token create --user ${identity.user.name})`,
          );
        }
        wss.handleUpgrade(req, socket, head, (ws) => {
          guard.upgraded(socket);
          const session = new Session(ws, identity.user, identity.tokenId, {
            handlers: deps.handlers,
            bus: deps.bus,
            log: deps.log,
            host: os.hostname(),
          });
          sessions.add(session);
          session.onAdmission(() => {
            if (perUser.full(identity.user.name)) {
              return `this user has ${perUser.max} sessions open already, the most allowed; close some first`;
            }
            session.onEnd(perUser.take(identity.user.name));
            return null;
          });
          session.onGreeted(() => guard.greeted(socket));
          session.onEnd(() => sessions.delete(session));
          // A revocation between the check above and now found no session to close: look once more.
          deps.users.isLive(identity.tokenId).then(
            (live) => live || session.close(CLOSE_TOKEN_REVOKED, REVOKED_REASON),
            () => undefined,
          );
        });
      },
      (err: unknown) => {
        deps.log.error(`authentication failed: ${errorMessage(err)}`);
        refuse(socket, 500, 'Internal Server Error', `the agent could not check the token: ${errorMessage(err)}`);
      },
    );
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : listen.port;
      resolve({
        address: { host: listen.host, port },
        close: () =>
          new Promise<void>((done) => {
            unwatch();
            guard.closeAll();
            for (const client of wss.clients) client.terminate();
            server.close(() => done());
          }),
      });
    });
  });
}
