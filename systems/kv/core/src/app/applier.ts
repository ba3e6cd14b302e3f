/**
 * The consumer's effect of one queued write: (1) last-writer-wins upsert in PostgreSQL, (2) the
 * key's current state after it (this write or a newer winner), (3) setIfNewer of that state in
 * Redis. Resolving lets the bus acknowledge; throwing lets it retry. Applying a write again
 * changes nothing in PostgreSQL and only refreshes the cache, so redeliveries are harmless.
 */
import { seedQueueName } from '../domain/messages.js';
import type { KvWrite } from '../domain/types.js';
import { messageOf, truncateForLog, type KvLogger } from './logger.js';
import type { ApplyResult, KvCache, KvStore } from './ports.js';

export interface KvApplier {
  apply(write: KvWrite): Promise<ApplyResult>;
}

export interface KvApplierOptions {
  store: Pick<KvStore, 'apply'>;
  cache: Pick<KvCache, 'setIfNewer'>;
  logger: KvLogger;
}

export function createKvApplier({ store, cache, logger }: KvApplierOptions): KvApplier {
  function report(write: KvWrite, { applied, current }: ApplyResult): void {
    const { key, version, timestamp } = write;
    if (!applied && current.version === version) {
      logger.debug(`[${seedQueueName(write.op)}] "${key}" v${version} was already applied (redelivery).`);
    } else if (write.op === 'put') {
      if (applied) logger.info(`[add_key] ${key} set to "${truncateForLog(write.value)}" at ${timestamp}`);
      else logger.info(`[add_key] Skipped "${key}" v${version} — newer version ${current.version} exists.`);
    } else if (applied) logger.info(`[del_key] Deleted "${key}" at ${timestamp}`);
    else logger.info(`[del_key] Skipped deletion of "${key}" — newer value exists.`);
  }

  return {
    async apply(write) {
      try {
        const result = await store.apply(write);
        await cache.setIfNewer(result.current);
        report(write, result);
        return result;
      } catch (error) {
        logger.error(`[${seedQueueName(write.op)}] Error: ${messageOf(error)}`);
        throw error;
      }
    },
  };
}
