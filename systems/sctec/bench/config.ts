/**
 * The only place the benchmark reads the environment: DATABASE_URL for `--postgres`, and the
 * environment its child processes inherit, minus the settings the benchmark decides itself.
 */
import { environmentWithout } from '@dslab/bench-kit';

export function benchEnvironment(): Record<string, string | undefined> {
  return { DATABASE_URL: process.env.DATABASE_URL };
}

const DECIDED_BY_THE_BENCHMARK = new Set([
  'DATABASE_URL',
  'DATABASE_SCHEMA',
  'LOG_DIR',
  'LOG_FORMAT',
  'COORDINATOR_SECRET',
  'NODE_OPTIONS',
]);

/** The children's environment: ours minus the settings the benchmark decides itself. */
export function childEnvironment(): NodeJS.ProcessEnv {
  return environmentWithout(process.env, DECIDED_BY_THE_BENCHMARK);
}
