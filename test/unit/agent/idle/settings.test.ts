import * as assert from 'node:assert/strict';
import { defaultIdleConfig, requireWithinIdleMax, settingsFor } from '../../../../agent/idle/settings';
import type { WorkspaceSpec } from '../../../../protocol';
import { workspaceSpec } from '../../../support/builders';

const spec = (idle: Partial<Pick<WorkspaceSpec, 'idleTimeout' | 'attachedGrace' | 'maxLifetime'>> = {}) =>
  workspaceSpec('w', idle);

describe('idle settings: the admin cap on idleness (--idle-max)', () => {
  const capped = { ...defaultIdleConfig(), idleMax: 3600 };

  it('leaves every setting as asked without a cap, "never" included', () => {
    const settings = settingsFor(spec({ idleTimeout: 0, attachedGrace: 8 * 3600 }), defaultIdleConfig());
    assert.equal(settings.idleTimeout, 0);
    assert.equal(settings.attachedGrace, 8 * 3600 * 1000);
  });

  it('holds a saved "never" and longer settings to the cap, and leaves shorter ones alone', () => {
    assert.equal(settingsFor(spec({ idleTimeout: 0 }), capped).idleTimeout, 3600_000);
    assert.equal(settingsFor(spec({ idleTimeout: 7200 }), capped).idleTimeout, 3600_000);
    assert.equal(settingsFor(spec({ idleTimeout: 600 }), capped).idleTimeout, 600_000);
    assert.equal(settingsFor(spec(), capped).attachedGrace, 3600_000, 'the default grace too');
    assert.equal(settingsFor(spec({ attachedGrace: 60 }), capped).attachedGrace, 60_000);
  });

  it('holds the agent default idle timeout to the cap', () => {
    const config = { ...defaultIdleConfig(), timeout: 0, idleMax: 900 };
    assert.equal(settingsFor(spec(), config).idleTimeout, 900_000);
  });

  it('refuses requests beyond the cap, saying what is allowed', () => {
    assert.equal(requireWithinIdleMax({ idleTimeout: 0 }, defaultIdleConfig()), null);
    assert.match(requireWithinIdleMax({ idleTimeout: 0 }, capped) ?? '', /never\) is not allowed.*at most 3600 s/);
    assert.match(requireWithinIdleMax({ idleTimeout: 7200 }, capped) ?? '', /idleTimeout 7200 s is longer.*3600 s/);
    assert.match(requireWithinIdleMax({ attachedGrace: 7200 }, capped) ?? '', /attachedGrace 7200 s/);
    assert.equal(requireWithinIdleMax({ idleTimeout: 3600, attachedGrace: 60 }, capped), null);
    assert.equal(requireWithinIdleMax({ idleTimeout: null }, capped), null, 'clearing goes back to the default');
  });
});
