import {
  ForwardPort,
  LIFECYCLE_STAGES,
  LifecycleCommand,
  WaitFor,
  describeIssues,
  type Lifecycle,
} from '../../protocol';
import type { JsoncDocument } from './jsonc';
import { substitute, VariableProblem, type VariableContext } from './variables';

type Report = (at: string, message: string) => void;

/** Applies the variables to a command: `${containerEnv:X}` only where a shell runs it (the string form). */
function resolveCommand(command: unknown, vars: VariableContext): unknown {
  if (typeof command === 'string') return substitute(command, vars, 'shell');
  if (Array.isArray(command)) {
    return (command as unknown[]).map((arg) => (typeof arg === 'string' ? substitute(arg, vars, 'refuse') : arg));
  }
  if (command && typeof command === 'object') {
    return Object.fromEntries(Object.entries(command).map(([name, each]) => [name, resolveCommand(each, vars)]));
  }
  return command;
}

/** The lifecycle commands and `waitFor` of the definition, variables resolved; undefined when it has none. */
export function readLifecycle(doc: JsoncDocument, vars: VariableContext, refuse: Report): Lifecycle | undefined {
  const lifecycle: Lifecycle = {};
  for (const stage of LIFECYCLE_STAGES) {
    const raw = doc.value[stage];
    if (raw === undefined) continue;
    let resolved: unknown;
    try {
      resolved = resolveCommand(raw, vars);
    } catch (err) {
      if (!(err instanceof VariableProblem)) throw err;
      refuse(doc.at([stage]), `${stage}: ${err.message}`);
      continue;
    }
    const parsed = LifecycleCommand.safeParse(resolved);
    if (parsed.success) lifecycle[stage] = parsed.data;
    else {
      refuse(
        doc.at([stage]),
        `${stage} must be a command string, an array of arguments, or an object of named commands: ${describeIssues(parsed.error)}`,
      );
    }
  }
  if (doc.value.waitFor !== undefined) {
    const parsed = WaitFor.safeParse(doc.value.waitFor);
    if (parsed.success) lifecycle.waitFor = parsed.data;
    else refuse(doc.at(['waitFor']), `waitFor must be one of ${WaitFor.options.join(', ')}`);
  }
  return Object.keys(lifecycle).length ? lifecycle : undefined;
}

/** `forwardPorts` with what `portsAttributes` says of each (by port number or range); others are warnings. */
export function readPorts(doc: JsoncDocument, refuse: Report, warn: Report): ForwardPort[] | undefined {
  const raw = doc.value.forwardPorts;
  const attributes = doc.value.portsAttributes;
  if (raw === undefined) {
    if (attributes !== undefined) {
      warn(doc.at(['portsAttributes']), 'portsAttributes: ignored: no forwardPorts to describe');
    }
    return undefined;
  }
  if (!Array.isArray(raw)) {
    refuse(doc.at(['forwardPorts']), 'forwardPorts must be an array of ports such as [3000, "db:5432"]');
    return undefined;
  }
  const attrs = attributes && typeof attributes === 'object' && !Array.isArray(attributes) ? attributes : {};
  if (attributes !== undefined && attrs !== attributes) {
    refuse(doc.at(['portsAttributes']), 'portsAttributes must be an object');
  }
  const ports: ForwardPort[] = [];
  raw.forEach((entry: unknown, index) => {
    const at = doc.at(['forwardPorts', index]);
    let port: ForwardPort | undefined;
    if (typeof entry === 'number') port = { port: entry };
    else if (typeof entry === 'string' && /^[^:]+:\d+$/.test(entry)) {
      const [host = '', number = ''] = entry.split(':');
      port = { host, port: Number(number) };
    }
    const withAttributes = port && { ...port, ...attributesFor(port.port, attrs as Record<string, unknown>) };
    const parsed = ForwardPort.safeParse(withAttributes);
    if (parsed.success) ports.push(parsed.data);
    else refuse(at, `forwardPorts[${index}]: ${JSON.stringify(entry)} is not a port (1–65535) or "host:port"`);
  });
  return ports;
}

/** The attributes Berth keeps (label, protocol, onAutoForward) of the first portsAttributes key matching `port`. */
function attributesFor(port: number, attributes: Record<string, unknown>): Partial<ForwardPort> {
  for (const [key, value] of Object.entries(attributes)) {
    const range = /^(\d+)-(\d+)$/.exec(key);
    const matches = key === String(port) || (range && port >= Number(range[1]) && port <= Number(range[2]));
    if (!matches || !value || typeof value !== 'object') continue;
    const { label, protocol, onAutoForward } = value as Record<string, unknown>;
    return {
      ...(typeof label === 'string' ? { label } : {}),
      ...(protocol === 'http' || protocol === 'https' ? { protocol } : {}),
      ...(typeof onAutoForward === 'string' ? { onAutoForward: onAutoForward as ForwardPort['onAutoForward'] } : {}),
    };
  }
  return {};
}
