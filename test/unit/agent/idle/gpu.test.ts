import * as assert from 'node:assert/strict';
import { withinCgroup } from '../../../../agent/idle/gpu';

describe('idle GPU use: which GPU processes belong to a container', () => {
  it('places a GPU process inside a container by its cgroup', () => {
    const container = ['0::/docker/abc'];
    assert.ok(withinCgroup(['0::/docker/abc'], container));
    assert.ok(withinCgroup(['0::/docker/abc/inner'], container));
    assert.ok(!withinCgroup(['0::/docker/abcd'], container));
    assert.ok(!withinCgroup(['0::/'], ['0::/']));
  });
});
