import { BerthError } from '../../protocol';

/** What the install order needs of one feature. */
export interface OrderItem {
  /** The key in the definition's `features` (`./local`, `ghcr.io/x/y/node:1`). */
  key: string;
  /** The feature's own id (devcontainer-feature.json `id`). */
  id: string;
  /** Ids this one installs after when they are among the features (soft). */
  installsAfter: readonly string[];
  /** Ids this one needs (hard): each must be among the features. */
  dependsOn: readonly string[];
}

/** A feature key without its tag or digest: `ghcr.io/x/y/node:1` → `ghcr.io/x/y/node`; a local path stays. */
export function bareFeatureId(key: string): string {
  if (key.startsWith('./') || key.startsWith('../')) return key.replace(/\/+$/, '');
  return key.replace(/@sha256:[0-9a-f]+$/i, '').replace(/:[\w.-]+$/, '');
}

/** Whether the reference `ref` (an id in installsAfter, dependsOn or overrideFeatureInstallOrder) names `item`. */
function names(ref: string, item: OrderItem): boolean {
  const bare = bareFeatureId(ref);
  return bare === bareFeatureId(item.key) || bare === item.id;
}

/**
 * The spec's install order (containers.dev, "Installation order"): rounds; in each, the features
 * whose hard (`dependsOn`) and soft (`installsAfter`, among those given) dependencies are installed
 * become candidates, and those of the highest `overrideFeatureInstallOrder` priority among them
 * (earlier in that list is higher, and passed on to what it waits on; unlisted is 0) install, in
 * definition order. A `dependsOn` not
 * among the features, an override entry naming none, or a cycle is refused, naming them.
 */
export function installOrder<T extends OrderItem>(items: readonly T[], override: readonly string[] = []): T[] {
  const find = (ref: string) => items.find((item) => names(ref, item));
  for (const ref of override) {
    if (!find(ref)) {
      throw new BerthError(
        'invalid_params',
        `overrideFeatureInstallOrder: ${ref} is not among the features; list only features the definition names (without their version)`,
      );
    }
  }
  const priority = new Map<T, number>();
  override.forEach((ref, index) => {
    const item = find(ref);
    if (item && !priority.has(item)) priority.set(item, override.length - index);
  });
  const after = new Map<T, Set<T>>();
  for (const item of items) {
    const before = new Set<T>();
    for (const dep of item.dependsOn) {
      const found = find(dep);
      if (!found) {
        throw new BerthError(
          'invalid_params',
          `features."${item.key}": it depends on ${dep} (dependsOn), which the definition does not name; add it to features`,
        );
      }
      if (found !== item) before.add(found);
    }
    for (const soft of item.installsAfter) {
      const found = find(soft);
      if (found && found !== item) before.add(found);
    }
    after.set(item, before);
  }
  // A feature waited on by a prioritised one shares its priority (transitively), so that it does not
  // hold the prioritised one back behind features of none (devcontainers/cli#1200).
  for (let pass = 0; pass < items.length; pass++) {
    for (const item of items) {
      for (const dep of after.get(item) ?? []) {
        priority.set(dep, Math.max(priority.get(dep) ?? 0, priority.get(item) ?? 0));
      }
    }
  }
  const done = new Set<T>();
  const order: T[] = [];
  while (order.length < items.length) {
    const ready = items.filter((item) => !done.has(item) && [...(after.get(item) ?? [])].every((dep) => done.has(dep)));
    if (!ready.length) {
      const stuck = items.filter((item) => !done.has(item)).map((item) => item.key);
      throw new BerthError(
        'invalid_params',
        `features ${stuck.join(', ')} wait on each other (installsAfter/dependsOn form a cycle); Berth cannot order them`,
      );
    }
    const top = Math.max(...ready.map((item) => priority.get(item) ?? 0));
    for (const item of ready) {
      if ((priority.get(item) ?? 0) !== top) continue;
      done.add(item);
      order.push(item);
    }
  }
  return order;
}
