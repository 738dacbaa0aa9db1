import * as assert from 'node:assert/strict';
import { EventFrame, Reply, ServerFrame, parseEvent } from '../../../protocol';

describe('protocol: replies and server frames', () => {
  it('parses a result reply', () => {
    assert.deepEqual(Reply.parse({ id: 7, result: { ok: true } }), { id: 7, result: { ok: true } });
  });

  it('parses an error reply to an unreadable request, with a null id', () => {
    const reply = Reply.parse({ id: null, error: { code: 'bad_frame', message: 'not JSON' } });
    assert.ok('error' in reply);
    assert.equal(reply.error.code, 'bad_frame');
  });

  it('rejects a reply with both result and error', () => {
    const both = { id: 1, result: {}, error: { code: 'internal', message: 'x' } };
    assert.ok(!Reply.safeParse(both).success);
  });

  it('rejects a result without a request id', () => {
    assert.ok(!Reply.safeParse({ id: null, result: {} }).success);
  });

  it('rejects an error code the protocol does not name', () => {
    assert.ok(!Reply.safeParse({ id: 1, error: { code: 'oops', message: 'x' } }).success);
  });

  it('parses a welcome, a reply and an event as server frames', () => {
    const welcome = {
      welcome: { protocol: 1, agentVersion: '0.1.0', host: 'h', user: { name: 'alice', admin: false } },
    };
    assert.ok(ServerFrame.safeParse(welcome).success);
    assert.ok(ServerFrame.safeParse({ id: 'a', result: null }).success);
    assert.ok(ServerFrame.safeParse({ event: 'workspace.removed', data: {} }).success);
  });
});

describe('protocol: events', () => {
  it('validates a known event', () => {
    const data = { id: 'abc', name: 'web', owner: 'alice' };
    assert.deepEqual(parseEvent({ event: 'workspace.removed', data }), { event: 'workspace.removed', data });
  });

  it('ignores an event it does not know (from a newer agent)', () => {
    assert.equal(parseEvent({ event: 'workspace.teleported', data: {} }), null);
  });

  it('ignores a known event with malformed data', () => {
    assert.equal(parseEvent({ event: 'workspace.removed', data: { id: 1 } }), null);
  });

  it('refuses a workspace.changed frame whose workspace is malformed, before it reaches a listener', () => {
    assert.equal(parseEvent(EventFrame.parse({ event: 'workspace.changed', data: { workspace: { id: 'x' } } })), null);
  });

  it('does not take inherited property names for events', () => {
    assert.equal(parseEvent({ event: 'toString', data: {} }), null);
  });
});
