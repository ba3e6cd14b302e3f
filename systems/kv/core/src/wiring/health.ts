/**
 * GET /health's checks of the three engines, for kv-api and kv-consumer. Each answers within
 * `timeoutMs` whatever the engine does: a blackholed PostgreSQL or Redis would otherwise hold the
 * health request (and the orchestrator polling it) until TCP gives up. A check still running from
 * a previous poll is joined, not started again, so a hung engine costs one pending query, not one
 * per poll.
 */
import type { MessageBus } from '@dslab/messaging';
import type { Redis } from 'ioredis';

export type Probe = () => Promise<string>;

/**
 * What GET /health answers with ('ok' or a reason per engine). The same shape as
 * @dslab/http-kit's HealthCheck, declared here so kv-core needs no HTTP dependency.
 */
export type KvHealthCheck = () => Promise<Record<string, string>>;

/** A probe that answers 'ok', the failure's message, or "no answer in N ms" — never later than that. */
export function boundedProbe(check: () => Promise<unknown>, timeoutMs: number): Probe {
  let running: Promise<string> | undefined;
  return () => {
    running ??= check()
      .then(
        () => 'ok',
        (error: unknown) => (error instanceof Error ? error.message : String(error)) || 'failed',
      )
      .finally(() => {
        running = undefined;
      });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer in ${timeoutMs} ms`), timeoutMs);
    });
    return Promise.race([running, timeout]).finally(() => clearTimeout(timer));
  };
}

/** Runs every probe at once; the record names each probe with its answer. */
export function combineProbes(probes: Readonly<Record<string, Probe>>): KvHealthCheck {
  const entries = Object.entries(probes);
  return async () => {
    const results = await Promise.all(entries.map(([, probe]) => probe()));
    return Object.fromEntries(entries.map(([name], index) => [name, results[index] ?? 'failed']));
  };
}

export interface EngineClients {
  /** One cheap PostgreSQL query (the store's highestIssuedVersion). */
  readonly queryPostgres: () => Promise<unknown>;
  readonly redis: Pick<Redis, 'ping'>;
  readonly bus: Pick<MessageBus, 'connected'>;
}

/** Default bound of one engine check: well under the Compose/Docker health-check timeout (5 s). */
export const HEALTH_TIMEOUT_MS = 1000;

/** PostgreSQL (one query), Redis (PING) and the broker connection, each bounded. */
export function engineProbes(clients: EngineClients, timeoutMs = HEALTH_TIMEOUT_MS): Record<string, Probe> {
  return {
    postgres: boundedProbe(clients.queryPostgres, timeoutMs),
    redis: boundedProbe(() => clients.redis.ping(), timeoutMs),
    rabbitmq: async () => (clients.bus.connected ? 'ok' : 'not connected to the broker'),
  };
}

export function engineHealth(clients: EngineClients, timeoutMs = HEALTH_TIMEOUT_MS): KvHealthCheck {
  return combineProbes(engineProbes(clients, timeoutMs));
}
