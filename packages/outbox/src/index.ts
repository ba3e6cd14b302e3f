export type { MensagensProcessadasTable, OutboxTable, OutboxTables } from './schema.js';
export { outboxMigration } from './migration.js';
export { enqueue, markProcessed, wasProcessed, type OutboxExecutor, type OutboxMessage } from './outbox.js';
export { createOutboxRelay, type OutboxRelay, type OutboxRelayDeps, type RelayLogger } from './relay.js';
