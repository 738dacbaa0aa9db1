import { z } from 'zod';
import { ErrorBody } from './errors';
import { EVENTS, type EventData, type EventName } from './events';
import { ExecInput, ExecResize } from './exec';
import { RequestId } from './ids';
import { UserName } from './spec';

export { RequestId } from './ids';

/** First frame of every connection, from the client. */
export const Hello = z.object({
  hello: z.object({ protocol: z.number().int(), client: z.string().max(200) }).strict(),
});

/** The agent's answer to {@link Hello}. */
export const Welcome = z.object({
  welcome: z.object({
    protocol: z.number().int(),
    agentVersion: z.string(),
    host: z.string(),
    user: z.object({ name: UserName, admin: z.boolean() }),
    /** What this agent can do beyond its protocol version (protocol/version.ts `AGENT_FEATURES`); absent from older agents. */
    features: z.array(z.string().max(100)).max(100).optional(),
  }),
});
export type Welcome = z.infer<typeof Welcome>['welcome'];

/** A request; `params` is validated against the method's own schema afterwards. */
export const Request = z.object({ id: RequestId, method: z.string().max(100), params: z.unknown() }).strict();
export type Request = z.infer<typeof Request>;

/** Asks the agent to abandon the request with this id; it answers that request with `cancelled`. */
export const Cancel = z.object({ cancel: RequestId }).strict();

/** Any frame a client may send after the handshake. */
export const ClientFrame = z.union([Request, Cancel, ExecInput, ExecResize]);
export type ClientFrame = z.infer<typeof ClientFrame>;

/** A reply: exactly one of `result` or `error`. `id` is null when the request could not be read. */
export const Reply = z.union([
  z.object({ id: RequestId, result: z.unknown() }).strict(),
  z.object({ id: RequestId.nullable(), error: ErrorBody }).strict(),
]);
export type Reply = z.infer<typeof Reply>;

/** An event pushed by the agent. */
export const EventFrame = z.object({ event: z.string(), data: z.unknown() });
export type EventFrame = z.infer<typeof EventFrame>;

/** Any frame the agent sends. */
export const ServerFrame = z.union([Welcome, Reply, EventFrame]);
export type ServerFrame = z.infer<typeof ServerFrame>;

/** Validates an event's data against its schema; unknown events (from a newer agent) give null. */
export function parseEvent(
  frame: EventFrame,
): { [E in EventName]: { event: E; data: EventData<E> } }[EventName] | null {
  if (!Object.prototype.hasOwnProperty.call(EVENTS, frame.event)) return null;
  const event = frame.event as EventName;
  const parsed = EVENTS[event].safeParse(frame.data);
  return parsed.success ? ({ event, data: parsed.data } as never) : null;
}

/**
 * WebSocket close code (from the 4000–4999 range left to applications) with which the agent closes a
 * connection whose token was revoked; the close reason says what to do.
 */
export const CLOSE_TOKEN_REVOKED = 4401;
