/**
 * The only place the checkout-async benchmark reads the environment: the engine URLs (as the
 * worker deployable names them, with the development defaults of .ci/run), and the environment
 * its child processes inherit, minus every setting the benchmark decides itself.
 */
import { environmentWithout, postgresAndRabbitmq } from '@dslab/bench-kit';
import { CHECKOUT_PROCESS_SETTINGS } from '../src/child-environment.js';

/** The engine URLs, and which of them are development defaults (the report says so). */
export function benchEngines() {
  return postgresAndRabbitmq(process.env);
}

export type BenchEngines = ReturnType<typeof benchEngines>;

/** The children's environment: ours minus every setting a checkout process reads (the benchmark decides those). */
export function childEnvironment(): NodeJS.ProcessEnv {
  return environmentWithout(process.env, CHECKOUT_PROCESS_SETTINGS);
}
