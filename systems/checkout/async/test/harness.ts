/**
 * The asynchronous checkout against the real engines, in a namespace of its own. The shared
 * pieces (the namespace, the pedidos API in process, logging customers in, placing orders,
 * waiting for the sagas, worker child processes) live in `@dslab/checkout-async/testing`
 * (src/testing.ts), which the benchmark uses too, and are re-exported here; what only the tests
 * need (the invariants, the in-process runtime, replay seeds) stays below.
 */
import assert from 'node:assert/strict';
import { checkoutQueues, createAsyncRuntime, type AsyncRuntime } from '@dslab/checkout-async';
import type { Namespace } from '@dslab/checkout-async/testing';
import { testLogger } from '@dslab/checkout-async/testing';
import { ASYNC_SERVICES, type AsyncService } from '@dslab/checkout-contracts/messages';
import { findAsyncCheckoutViolations } from '../../e2e/invariants.js';

export * from '@dslab/checkout-async/testing';

/**
 * Every invariant once the saga has run to the end: findAsyncCheckoutViolations over the six
 * databases (retried for a moment: the relays delete a published row just after the broker's
 * confirm, so an outbox may hold a row a few ms longer than the step it carried), and every
 * queue of the namespace empty, retry stages and dead letters included.
 */
export async function expectEverythingHolds(ns: Namespace): Promise<void> {
  let problems: string[] = [];
  for (let attempt = 0; attempt < 40; attempt++) {
    problems = await findAsyncCheckoutViolations(ns.dbs, ns.initialStock);
    if (problems.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.deepEqual(problems.slice(0, 20), [], `${problems.length} violation(s)`);
  const depths = await Promise.all(
    checkoutQueues(ns.prefix).map(async (queue) => [queue, await ns.bus.depth(queue)] as const),
  );
  for (const [queue, depth] of depths)
    assert.deepEqual(depth, { ready: 0, retrying: 0, dead: 0 }, `${queue}: ${JSON.stringify(depth)}`);
}

/** The workers and the orchestrator in the test process, on the namespace's databases and bus. */
export async function startRuntime(
  ns: Namespace,
  services: readonly AsyncService[] = ASYNC_SERVICES,
): Promise<AsyncRuntime> {
  const runtime = await createAsyncRuntime({
    services,
    databases: ns.databases,
    bus: ns.bus,
    loggerOf: (service) => testLogger(service),
    queuePrefix: ns.prefix,
    steps: { simulator: { minMs: 1, maxMs: 5, rejectionProbability: 0 } },
    maxAttempts: 3,
  });
  await runtime.start();
  return runtime;
}

/** `{seed}` in a failure's message and the log: how to replay a randomised run. */
export function seedOf(name: string): number {
  const given = process.env[name];
  const seed = given === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(given);
  process.stdout.write(`# ${name}=${seed} (set it to replay this run)\n`);
  return seed;
}
