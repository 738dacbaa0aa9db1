import { AgentProcess, type AgentOptions } from './agent-process';
import { requireDocker } from './docker';

/**
 * An agent for the enclosing `describe`: started (on real Docker) in a `before` hook, destroyed in an
 * `after` hook with every client its `connect()` opened, its containers, volumes and state directory.
 *
 * `options` may be a function, called in that `before` hook: it can use what hooks registered before
 * this call have set up (a Docker proxy, a state directory written beforehand). Hooks registered after
 * this call run after the agent started, and their `after` hooks after it was destroyed.
 *
 * The value returned stands for the agent from the `before` hook on; touching it while the suite is
 * being declared throws.
 */
export function useAgent(options: AgentOptions | (() => AgentOptions | Promise<AgentOptions>) = {}): AgentProcess {
  let agent: AgentProcess | undefined;
  before(async () => {
    requireDocker();
    agent = await AgentProcess.start(typeof options === 'function' ? await options() : options);
  });
  after(async () => {
    await agent?.destroy();
    agent = undefined;
  });
  const started = (): AgentProcess => {
    if (!agent) throw new Error('useAgent(): the agent starts in a before hook; use it in hooks and tests');
    return agent;
  };
  return new Proxy({} as AgentProcess, {
    get(_, key) {
      const target = started();
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
