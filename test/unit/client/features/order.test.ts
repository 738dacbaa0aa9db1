import * as assert from 'node:assert/strict';
import { BerthError } from '../../../../protocol';
import { bareFeatureId, installOrder, type OrderItem } from '../../../../client/features/order';

const item = (key: string, id: string, installsAfter: string[] = [], dependsOn: string[] = []): OrderItem => ({
  key,
  id,
  installsAfter,
  dependsOn,
});
const keys = (items: OrderItem[]) => items.map((i) => i.key);

describe('client: devcontainer feature install order', () => {
  it('keeps the definition order when nothing says otherwise', () => {
    assert.deepEqual(keys(installOrder([item('./b', 'b'), item('./a', 'a'), item('./c', 'c')])), ['./b', './a', './c']);
  });

  it('installs a feature after those it names in installsAfter or dependsOn (by id without version, or by its key)', () => {
    const order = installOrder([
      item('./app', 'app', ['ghcr.io/devcontainers/features/node']),
      item('ghcr.io/devcontainers/features/node:1', 'node', [], ['./base']),
      item('./base', 'base'),
    ]);
    assert.deepEqual(keys(order), ['./base', 'ghcr.io/devcontainers/features/node:1', './app']);
  });

  it('ignores an installsAfter that names no given feature', () => {
    assert.deepEqual(keys(installOrder([item('./a', 'a', ['ghcr.io/x/absent']), item('./b', 'b')])), ['./a', './b']);
  });

  it('puts overrideFeatureInstallOrder first, in its order, dependencies still before', () => {
    const items = [item('./a', 'a'), item('./b', 'b'), item('ghcr.io/x/c:2', 'c'), item('./d', 'd', [], ['./a'])];
    assert.deepEqual(keys(installOrder(items, ['ghcr.io/x/c', './b'])), ['ghcr.io/x/c:2', './b', './a', './d']);
    assert.deepEqual(keys(installOrder(items, ['./d'])), ['./a', './d', './b', 'ghcr.io/x/c:2']);
  });

  it('refuses a missing dependsOn, an override naming no feature, and a cycle, naming them', () => {
    const refused = (fn: () => unknown, pattern: RegExp) =>
      assert.throws(fn, (err: unknown) => err instanceof BerthError && pattern.test(err.message));
    refused(
      () => installOrder([item('./a', 'a', [], ['ghcr.io/x/common'])]),
      /\.\/a.*depends on ghcr\.io\/x\/common .*add it to features/,
    );
    refused(
      () => installOrder([item('./a', 'a')], ['./zzz']),
      /overrideFeatureInstallOrder: \.\/zzz is not among the features/,
    );
    refused(
      () => installOrder([item('./a', 'a', ['./b']), item('./b', 'b', ['./a'])]),
      /\.\/a, \.\/b wait on each other/,
    );
  });

  it('strips a tag or digest from an OCI id, never from a local path', () => {
    assert.equal(bareFeatureId('ghcr.io/devcontainers/features/node:1'), 'ghcr.io/devcontainers/features/node');
    assert.equal(bareFeatureId(`ghcr.io/x/y@sha256:${'a'.repeat(64)}`), 'ghcr.io/x/y');
    assert.equal(bareFeatureId('localhost:5000/x/y'), 'localhost:5000/x/y');
    assert.equal(bareFeatureId('./my-feature/'), './my-feature');
  });
});
