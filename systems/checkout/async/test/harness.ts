/**
 * The asynchronous checkout against the real engines, in a namespace of its own. The shared
 * pieces (the namespace, the pedidos API in process, logging customers in, placing orders,
 * waiting for the sagas, worker child processes) live in `@dslab/checkout-async/testing`
 * (src/testing.ts), which the benchmark uses too, and are re-exported here; what only the tests
 * need (the invariants, the in-process runtime, worker processes with the API, replay seeds)
 * stays below.
 */
import assert from 'node:assert/strict';
import {
  checkoutQueues,
  createAsyncRuntime,
  type AsyncRuntime,
  type AsyncRuntimeOptions,
} from '@dslab/checkout-async';
import {
  createNamespace,
  spawnWorker,
  startApi,
  testLogger,
  type Namespace,
  type NamespaceOptions,
  type RunningApi,
} from '@dslab/checkout-async/testing';
import { ASYNC_SERVICES, type AsyncService } from '@dslab/checkout-contracts/messages';
import { call, type ServiceProcess } from '@dslab/testing';
import { findAsyncCheckoutViolations, type CheckoutDatabases } from '../../e2e/invariants.js';

export * from '@dslab/checkout-async/testing';

/**
 * findAsyncCheckoutViolations over the six databases, polled for up to `timeoutMs` until none is
 * left (a relay deletes a published row just after the broker's confirm, so an outbox may hold a
 * row a few ms longer than the step it carried). Answers the last violations ([] when all hold).
 */
export async function violationsEventually(
  dbs: CheckoutDatabases,
  initialStock: ReadonlyMap<number, number>,
  timeoutMs = 10_000,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const problems = await findAsyncCheckoutViolations(dbs, initialStock);
    if (problems.length === 0 || Date.now() > deadline) return problems;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every invariant holds (violationsEventually); the failure lists the first 20 violations. */
export async function expectNoViolations(
  dbs: CheckoutDatabases,
  initialStock: ReadonlyMap<number, number>,
  message?: string,
): Promise<void> {
  const problems = await violationsEventually(dbs, initialStock);
  assert.deepEqual(problems.slice(0, 20), [], message ?? `${problems.length} violation(s)`);
}

/**
 * Every invariant once the saga has run to the end: expectNoViolations over the namespace's
 * databases, and every queue of the namespace empty, retry stages and dead letters included.
 */
export async function expectEverythingHolds(ns: Namespace): Promise<void> {
  await expectNoViolations(ns.dbs, ns.initialStock);
  const depths = await Promise.all(
    checkoutQueues(ns.prefix).map(async (queue) => [queue, await ns.bus.depth(queue)] as const),
  );
  for (const [queue, depth] of depths)
    assert.deepEqual(depth, { ready: 0, retrying: 0, dead: 0 }, `${queue}: ${JSON.stringify(depth)}`);
}

/**
 * The workers and the orchestrator in the test process, on the namespace's databases and bus:
 * fast payments that are never rejected, 3 deliveries before a dead letter; `options` adds to that.
 */
export async function startRuntime(
  ns: Namespace,
  services: readonly AsyncService[] = ASYNC_SERVICES,
  options: Pick<AsyncRuntimeOptions, 'redrive' | 'relayIdlePollMs'> = {},
): Promise<AsyncRuntime> {
  const runtime = await createAsyncRuntime({
    services,
    databases: ns.databases,
    bus: ns.bus,
    loggerOf: (service) => testLogger(service),
    queuePrefix: ns.prefix,
    steps: { simulator: { minMs: 1, maxMs: 5, rejectionProbability: 0 } },
    maxAttempts: 3,
    ...options,
  });
  await runtime.start();
  return runtime;
}

/** A namespace with worker processes (worker-main.ts) competing for its queues and the pedidos API. */
export interface WorkerCluster {
  readonly ns: Namespace;
  readonly api: RunningApi;
  /** The running workers: a test that kills one replaces it here, so close() stops the rest. */
  readonly workers: ServiceProcess[];
  /** Stops the workers, then the API, then disposes of the namespace. */
  close(): Promise<void>;
}

/**
 * A namespace (`options`), `workers` worker processes with `workerEnv` on top of the namespace's
 * environment, and the pedidos API; a start that fails part-way releases what it started.
 */
export async function startWorkerCluster(
  options: NamespaceOptions & { readonly workers: number; readonly workerEnv?: Record<string, string> },
): Promise<WorkerCluster> {
  const ns = await createNamespace(options);
  const workers: ServiceProcess[] = [];
  let api: RunningApi | undefined;
  const close = async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
    await api?.close();
    await ns.dispose();
  };
  try {
    const spawned = await Promise.allSettled(
      Array.from({ length: options.workers }, () => spawnWorker(ns, options.workerEnv)),
    );
    for (const result of spawned) if (result.status === 'fulfilled') workers.push(result.value);
    const failed = spawned.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    api = await startApi(ns);
    return { ns, api, workers, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Every worker is still running (none died during the test); a failure shows the dead one's last lines. */
export function expectWorkersAlive(workers: readonly ServiceProcess[]): void {
  for (const worker of workers)
    assert.equal(worker.child.exitCode, null, `a worker died:\n${worker.output().slice(-2000)}`);
}

/** An order as GET /pedidos/{id} answers it. */
export interface PedidoBody {
  readonly id: number;
  readonly status: string;
  readonly motivo?: string | null;
  readonly historico: readonly { readonly etapa: string; readonly mensagem: string; readonly em: string }[];
  readonly _links: Readonly<Record<string, { readonly href: string }>>;
}

/** GET `<url>/pedidos/{id}` (as the customer of `token`) until the order is enviado or cancelado. */
export async function untilTerminal(
  url: string,
  token: string,
  id: number,
  timeoutMs = 60_000,
): Promise<PedidoBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await call<PedidoBody>(url, 'GET', `/pedidos/${id}`, { token });
    assert.equal(response.status, 200, response.text);
    if (response.body.status === 'enviado' || response.body.status === 'cancelado') return response.body;
    if (Date.now() > deadline)
      throw new Error(`pedido ${id} still ${response.body.status}: ${response.text}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `{seed}` in a failure's message and the log: how to replay a randomised run. */
export function seedOf(name: string): number {
  const given = process.env[name];
  const seed = given === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(given);
  process.stdout.write(`# ${name}=${seed} (set it to replay this run)\n`);
  return seed;
}
