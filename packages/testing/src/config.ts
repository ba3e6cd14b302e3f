/**
 * The only place the test helpers read the environment. CI exports DATABASE_URL_TEST; locally
 * the machine's server is the default. A test that needs PostgreSQL fails when it is down: it
 * is never skipped.
 */
export const TEST_POSTGRES_URL = process.env.DATABASE_URL_TEST ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Redis for tests (CI exports REDIS_URL); each test uses its own key prefix. */
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The environment a spawned service inherits (then overridden per service). */
export function inheritedEnvironment(): NodeJS.ProcessEnv {
  return { ...process.env };
}

/** RabbitMQ for tests (CI exports AMQP_URL); each test uses its own queue names. */
export const TEST_AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A test switch set in the environment (e.g. ASYNC_TEST_VERBOSE=1 shows the services' lines). */
export function testSwitch(name: string): boolean {
  return process.env[name] !== undefined;
}
