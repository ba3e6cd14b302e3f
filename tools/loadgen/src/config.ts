/**
 * The only place the load generator reads the environment: the engine URLs (as the services name
 * them, with the development defaults of .ci/run), and the environment its child processes
 * inherit, minus every setting the load generator decides itself.
 */
import { environmentWithout, postgresAndRabbitmq } from '@dslab/bench-kit';
import { CHECKOUT_PROCESS_SETTINGS } from '@dslab/checkout-async';

/** The engine URLs, and which of them are development defaults (the report says so). */
export function loadgenEngines() {
  return postgresAndRabbitmq(process.env);
}

export type LoadgenEngines = ReturnType<typeof loadgenEngines>;

/**
 * The children's environment: ours minus every setting a checkout process reads (topology.ts
 * sets those itself; one inherited from the shell would change what is measured).
 */
export function childEnvironment(): NodeJS.ProcessEnv {
  return environmentWithout(process.env, CHECKOUT_PROCESS_SETTINGS);
}
