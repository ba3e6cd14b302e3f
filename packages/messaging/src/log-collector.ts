import type { BusLogger } from './defaults.js';

/** A logger for tests that keeps every line (level-prefixed) so tests can check the log text. */
export function collectingLogger(): BusLogger & { readonly lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (message) => lines.push(`DEBUG:${message}`),
    info: (message) => lines.push(`INFO:${message}`),
    warn: (message) => lines.push(`WARNING:${message}`),
    error: (message) => lines.push(`ERROR:${message}`),
  };
}
