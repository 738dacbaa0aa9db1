/** The agent's log: one line per event on stderr, with a level and an ISO time, easy to grep. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** A logger writing to stderr; `quiet` drops info lines (tests and benchmarks). */
export function createLogger(quiet = false): Logger {
  const write = (level: string, message: string) =>
    process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`);
  return {
    info: (message) => (quiet ? undefined : write('info ', message)),
    warn: (message) => write('warn ', message),
    error: (message) => write('error', message),
  };
}

/** The message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
