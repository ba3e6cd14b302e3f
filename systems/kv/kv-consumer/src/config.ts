import { env, type ConfigOf, type ConfigOptions } from '@dslab/config';
import { checkKvEngineSettings, kvEngineSettings } from '@dslab/kv-core';
import { loggingSettings } from '@dslab/logging';

/** Every setting of kv-consumer; parsed once in main.ts (the only reader of process.env). */
export const kvConsumerConfigSchema = {
  KV_CONSUMER_PORT: env.port('HTTP port of /health and /metrics').default(8081),
  HOST: env.string('interface to listen on').default('0.0.0.0'),
  DATA_DIR: env.string('directory of app.log (unless LOG_DIR says otherwise)').default('./data/kv'),
  ...loggingSettings,
  // The engines and namespaces kv-api shares, declared once in kv-core so the two agree.
  ...kvEngineSettings,
  KV_PREFETCH: env
    .int('messages applied at once per queue (RabbitMQ prefetch)', { min: 1, max: 1000 })
    .default(32),
  KV_MAX_ATTEMPTS: env
    .int('deliveries of a failing message before it goes to the dead-letter queue', { min: 1, max: 100 })
    .default(10),
  KV_RETRY_MAX_DELAY_MS: env
    .int('longest wait before a retry (the wait doubles from 200 ms up to this)', {
      min: 200,
      max: 3_600_000,
    })
    .default(30_000),
};

export type KvConsumerConfig = ConfigOf<typeof kvConsumerConfigSchema>;

export const kvConsumerConfigOptions: ConfigOptions<typeof kvConsumerConfigSchema> = {
  check: checkKvEngineSettings,
};

/** Retry n waits 200 ms × 2^(n−1), capped at `maxDelayMs`. */
export function retryDelay(maxDelayMs: number): (attempt: number) => number {
  return (attempt) => Math.min(200 * 2 ** Math.max(0, attempt - 1), maxDelayMs);
}
