export { createTestDatabase, ENGINES, TEST_POSTGRES_URL, uniqueName, type TestDatabase } from './engines.js';
export { call } from './http.js';
export { countByStatus, race, type RaceRequest, type RaceResponse } from './race.js';
export { startOnFreePort } from './server.js';
export { expectAppError } from './errors.js';
export { freePort, spawnService, waitUntilHealthy, type ServiceProcess } from './process.js';
export * from './compose-check.js';
export { seededRandom } from './random.js';
export { TEST_REDIS_URL } from './config.js';
