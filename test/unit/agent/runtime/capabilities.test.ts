import * as assert from 'node:assert/strict';
import {
  CAPABILITIES,
  agentBoundingSet,
  grantableCapabilities,
  parseBoundingSet,
} from '../../../../agent/runtime/capabilities';

describe('runtime: the capabilities a Docker-in-Docker workspace is given', () => {
  it('reads the bounding set from /proc/<pid>/status text', () => {
    const status = 'Name:\tnode\nCapInh:\t0000000000000000\nCapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000\n';
    assert.equal(parseBoundingSet(status), 0x1fffeffffffn);
    assert.equal(parseBoundingSet('Name:\tnode\n'), null);
  });

  it('asks for every capability of a host whose root lacks SYS_RESOURCE, and drops that one', () => {
    // This project's machines: Privileged fails there ("unable to apply caps: operation not permitted").
    const { add, drop } = grantableCapabilities(0x1fffeffffffn);
    assert.deepEqual(drop, ['SYS_RESOURCE']);
    assert.equal(add.length, CAPABILITIES.length - 1);
    for (const name of ['SYS_ADMIN', 'NET_ADMIN', 'MKNOD', 'NET_RAW', 'SETPCAP', 'BPF', 'CHECKPOINT_RESTORE']) {
      assert.ok(add.includes(name), name);
    }
  });

  it('asks for none that the host cannot grant, and none past those it knows', () => {
    // A bounding set of CHOWN, KILL and SYS_ADMIN only, plus bits of capabilities newer than the list.
    const bounding = (1n << 0n) | (1n << 5n) | (1n << 21n) | (0xffn << 41n);
    const { add, drop } = grantableCapabilities(bounding);
    assert.deepEqual(add, ['CHOWN', 'KILL', 'SYS_ADMIN']);
    assert.equal(drop.length, CAPABILITIES.length - 3);
    assert.ok(drop.includes('SYS_RESOURCE') && drop.includes('NET_RAW') && !drop.includes('KILL'));
  });

  it("names each capability by its kernel number (Docker's names without CAP_)", () => {
    assert.equal(CAPABILITIES[0], 'CHOWN');
    assert.equal(CAPABILITIES[21], 'SYS_ADMIN');
    assert.equal(CAPABILITIES[24], 'SYS_RESOURCE');
    assert.equal(CAPABILITIES[40], 'CHECKPOINT_RESTORE');
  });

  it("reads the agent's own bounding set on Linux", () => {
    const own = agentBoundingSet();
    assert.equal(typeof own, 'bigint');
  });
});
