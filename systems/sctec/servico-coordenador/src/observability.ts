import type { Logger } from '@dslab/logging';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { LockService } from './domain/lock-service.js';
import type { LockEvents } from './lock-events.js';

/**
 * What the coordinator reports on its own, outside any request: lease expiries in the log (the
 * seed's INFO line, with no trace id because no request caused them) and Prometheus metrics on
 * the app's registry. Returns the function that stops listening.
 *
 * Metrics:
 *   coordinator_locks_held            gauge    resources with a lease; with a shared store, across all coordinators
 *   coordinator_waiters               gauge    callers of this process queued across all resources (sum over instances)
 *   coordinator_lock_grants_total     counter  leases granted (at once or after a wait)
 *   coordinator_lock_denials_total    counter  by reason: held, timeout, cancelled (client left), closed (shutdown)
 *   coordinator_lock_releases_total   counter  leases released by their holder's token
 *   coordinator_lock_expiries_total   counter  leases that ran out before being released
 *   coordinator_lock_wait_seconds     histogram time granted callers spent in the queue (0 when granted at once)
 */
export function observeLocks(deps: {
  events: LockEvents;
  lockService: LockService;
  logger: Logger;
  registry: Registry;
}): () => void {
  const { events, lockService, logger, registry } = deps;
  const registers = [registry];
  new Gauge({
    name: 'coordinator_locks_held',
    help: 'Resources currently held under a lease',
    registers,
    // With a shared store this is a store query (all coordinators together); if the store is
    // unreachable the gauge keeps its last value rather than failing the whole scrape.
    async collect() {
      try {
        this.set(await lockService.heldCount());
      } catch {
        // keep the last value
      }
    },
  });
  new Gauge({
    name: 'coordinator_waiters',
    help: 'Callers of this coordinator waiting in a FIFO queue, all resources together',
    registers,
    collect() {
      this.set(lockService.waiting);
    },
  });
  const grants = new Counter({ name: 'coordinator_lock_grants_total', help: 'Leases granted', registers });
  const denials = new Counter({
    name: 'coordinator_lock_denials_total',
    help: 'Lock requests denied, by reason (held, timeout, cancelled, closed)',
    labelNames: ['reason'] as const,
    registers,
  });
  const releases = new Counter({
    name: 'coordinator_lock_releases_total',
    help: 'Leases released by their holder',
    registers,
  });
  const expiries = new Counter({
    name: 'coordinator_lock_expiries_total',
    help: 'Leases that expired unreleased',
    registers,
  });
  const waits = new Histogram({
    name: 'coordinator_lock_wait_seconds',
    help: 'Time a granted caller spent queued',
    buckets: [0, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
    registers,
  });
  for (const reason of ['held', 'timeout', 'cancelled', 'closed'] as const) denials.inc({ reason }, 0);

  return events.subscribe((event) => {
    switch (event.type) {
      case 'granted':
        grants.inc();
        waits.observe(event.waitedMs / 1000);
        break;
      case 'denied':
        denials.inc({ reason: event.reason });
        break;
      case 'released':
        releases.inc();
        break;
      case 'expired':
        expiries.inc();
        logger.info(`Lock para o recurso ${event.resource} expirou`);
        break;
      case 'queued':
        break;
    }
  });
}
