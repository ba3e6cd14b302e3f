// The checkout under test as real processes on a fresh namespace (PostgreSQL schemas, RabbitMQ
// queues): the rest system (six services) with a slowed hop to pagamentos, and the async system
// (three HTTP processes, five workers) with a slowed worker-to-broker hop. Each places real orders,
// kills and restarts a process, pauses one; the rest one also shows a start that fails cleanly.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { clientConnectionPorts } from '@dslab/bench-kit';
import { createNamespace, SENHA, type Namespace } from '@dslab/checkout-async/testing';
import { call } from '@dslab/testing';
import { childEnvironment } from '../src/config.js';
import { startResourceSampler } from '../src/sampler.js';
import { startSystem, type SutProcess, type SystemUnderTest } from '../src/topology.js';

/** Starting six to eight `node --import tsx` processes on a busy two-core machine takes a while. */
const START_TIMEOUT_MS = 240_000;
const HOOK = { timeout: START_TIMEOUT_MS + 60_000 };
const PAYMENT = { minMs: 1, maxMs: 5, rejection: 0 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The scheduling state of a process (R, S, T = stopped, …), from /proc/<pid>/stat. */
function stateOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '';
}

async function eventually(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(20);
  }
}

function only(sut: SystemUnderTest, name: string): SutProcess & { pid: number } {
  const found = sut.processes.find((p) => p.name === name);
  assert.ok(found?.pid !== undefined, `${name} is up`);
  return found as SutProcess & { pid: number };
}

async function healthStatus(p: SutProcess): Promise<number | string> {
  try {
    return (await call(p.healthUrl, 'GET', '')).status;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

/** The current pid (a call, so that an earlier assertion on p.pid does not narrow it). */
const pidOf = (p: SutProcess): number | undefined => p.pid;

/** Kill, check it is down, restart, check it is up again with a new pid on the same health URL. */
async function killAndRestart(p: SutProcess): Promise<void> {
  const before = p.pid;
  assert.ok(before !== undefined);
  await p.kill();
  assert.equal(p.up, false);
  assert.equal(p.pid, undefined);
  assert.equal(existsSync(`/proc/${before}`), false, 'the killed pid is gone');
  assert.notEqual(await healthStatus(p), 200);
  await p.restart();
  assert.equal(p.up, true);
  const now = pidOf(p);
  assert.ok(now !== undefined && now !== before, `a new pid (${before} → ${String(now)})`);
  assert.equal(await healthStatus(p), 200);
}

/** Every pid of the system, to check that stop() ended them all. */
function pidsOf(sut: SystemUnderTest): number[] {
  return sut.processes.flatMap((p) => (p.pid === undefined ? [] : [p.pid]));
}

describe('the rest checkout as processes', () => {
  let ns: Namespace;
  let logDir: string;
  let sut: SystemUnderTest | undefined;
  let orders = 0;

  before(async () => {
    ns = await createNamespace({ stockOf: () => 1000 });
    logDir = mkdtempSync(join(tmpdir(), 'loadgen-topology-rest-'));
    sut = await startSystem({
      transport: 'rest',
      ns,
      payment: PAYMENT,
      seed: 42,
      logDir,
      hopLatency: { service: 'pagamentos', delayMs: 100 },
      environment: childEnvironment(),
      startTimeoutMs: START_TIMEOUT_MS,
    });
  }, HOOK);

  after(async () => {
    await sut?.stop();
    await ns.dispose();
    rmSync(logDir, { recursive: true, force: true });
  }, HOOK);

  /** POST /pedidos (sync: the answer is the outcome); its status, body status and time taken. */
  async function placeOrder(): Promise<{ status: number; pedido: string | undefined; ms: number }> {
    assert.ok(sut !== undefined);
    const cliente = ns.dataset.clientes[0]?.id ?? 1;
    const produto = ns.dataset.produtos[0]?.id ?? 1;
    const started = performance.now();
    const response = await call<{ status?: string }>(sut.pedidos.http, 'POST', '/pedidos', {
      headers: { 'idempotency-key': `topology-rest-${++orders}` },
      body: { cliente_id: cliente, itens: [{ produto_id: produto, quantidade: 1 }] },
    });
    return { status: response.status, pedido: response.body.status, ms: performance.now() - started };
  }

  test('the six services run on their own ports; an order ships, and the slowed hop costs two delays', async () => {
    assert.ok(sut !== undefined);
    assert.deepEqual(
      sut.processes.map((p) => p.name),
      ['pagamentos', 'estoque', 'fiscal', 'logistica', 'catalogo', 'pedidos'],
    );
    assert.deepEqual(
      sut.processesOf('estoque').map((p) => p.name),
      ['estoque'],
    );
    assert.ok(sut.startupSeconds > 0);
    const sampler = startResourceSampler({
      startedAt: performance.now(),
      intervalMs: 100,
      processes: () => sut?.processes ?? [],
    });
    const order = await placeOrder();
    await sleep(250);
    const resources = sampler.stop();
    assert.equal(order.status, 201);
    assert.equal(order.pedido, 'enviado');
    // pedidos → pagamentos goes through the proxies: the request waits 100 ms each way.
    assert.ok(order.ms >= 200, `the order took ${order.ms} ms`);
    const hop = sut.hop;
    assert.ok(hop !== null);
    assert.equal(hop.proxies.length, 2);
    const pedidos = only(sut, 'pedidos');
    const viaProxy = hop.proxies.flatMap((proxy) => clientConnectionPorts(pedidos.pid, proxy.port));
    assert.ok(viaProxy.length > 0, 'pedidos holds a connection to a delaying proxy');
    for (const p of sut.processes)
      assert.ok((resources.summary[p.name]?.rssMaxBytes ?? 0) > 0, `RSS of ${p.name} was sampled`);

    // The delay changes on the running proxies: 300 ms each way now.
    sut.setHopDelay(300);
    assert.equal(hop.delayMs, 300);
    const slower = await placeOrder();
    assert.equal(slower.pedido, 'enviado');
    assert.ok(slower.ms >= 600, `the order took ${slower.ms} ms`);
    sut.setHopDelay(100);
    assert.ok(existsSync(join(logDir, 'pedidos.log')), 'its output goes to <logDir>/pedidos.log');
  });

  test('pagamentos killed and restarted answers /health on the same port again, and orders ship again', async () => {
    assert.ok(sut !== undefined);
    const [pagamentos] = sut.processesOf('pagamentos');
    assert.ok(pagamentos !== undefined);
    await killAndRestart(pagamentos);
    const order = await placeOrder();
    assert.equal(order.status, 201);
    assert.equal(order.pedido, 'enviado');
  });

  test('a paused process is stopped (state T) and runs and answers again once resumed', async () => {
    assert.ok(sut !== undefined);
    const estoque = only(sut, 'estoque');
    estoque.pause();
    await eventually('estoque is stopped', () => stateOf(estoque.pid) === 'T');
    estoque.resume();
    await eventually('estoque runs again', () => stateOf(estoque.pid) !== 'T');
    assert.equal(await healthStatus(estoque), 200);
  });

  test(
    'stop() ends every process; a start that fails kills what started and shows the log',
    HOOK,
    async () => {
      assert.ok(sut !== undefined);
      const pids = pidsOf(sut);
      await sut.stop();
      assert.ok(
        pids.every((pid) => !existsSync(`/proc/${pid}`)),
        'no process is left',
      );
      assert.ok(sut.processes.every((p) => !p.up));
      sut = undefined;

      const failedDir = mkdtempSync(join(tmpdir(), 'loadgen-topology-fail-'));
      try {
        await assert.rejects(
          startSystem({
            transport: 'grpc',
            ns,
            payment: PAYMENT,
            seed: 42,
            logDir: failedDir,
            logLevel: 'chatty',
            environment: childEnvironment(),
            startTimeoutMs: START_TIMEOUT_MS,
          }),
          (error: Error) => {
            assert.match(error.message, /the grpc checkout did not start: \w+ failed/);
            assert.match(error.message, /LOG_LEVEL/, 'the last lines of its log say why');
            return true;
          },
        );
      } finally {
        rmSync(failedDir, { recursive: true, force: true });
      }
      await assert.rejects(
        startSystem({
          transport: 'rest',
          ns,
          payment: PAYMENT,
          seed: 42,
          logDir: join(tmpdir(), 'never-created'),
          hopLatency: { service: 'pedidos', delayMs: 10 },
          environment: childEnvironment(),
        }),
        /pedidos is the caller of every hop/,
      );
    },
  );
});

describe('the async checkout as processes', () => {
  let ns: Namespace;
  let logDir: string;
  let sut: SystemUnderTest | undefined;
  let token = '';
  let orders = 0;

  before(async () => {
    ns = await createNamespace({ stockOf: () => 1000 });
    logDir = mkdtempSync(join(tmpdir(), 'loadgen-topology-async-'));
    sut = await startSystem({
      transport: 'async',
      ns,
      payment: PAYMENT,
      seed: 42,
      logDir,
      hopLatency: { service: 'pagamentos', delayMs: 20 },
      environment: childEnvironment(),
      startTimeoutMs: START_TIMEOUT_MS,
    });
    const cliente = ns.dataset.clientes[0];
    assert.ok(cliente !== undefined);
    const login = await call<{ access_token: string }>(sut.pedidos.http, 'POST', '/auth/login', {
      body: { email: cliente.email, senha: SENHA },
    });
    assert.equal(login.status, 200, login.text);
    token = login.body.access_token;
  }, HOOK);

  after(async () => {
    await sut?.stop();
    await ns.dispose();
    rmSync(logDir, { recursive: true, force: true });
  }, HOOK);

  async function acceptOrder(): Promise<number> {
    assert.ok(sut !== undefined);
    const produto = ns.dataset.produtos[0]?.id ?? 1;
    const response = await call<{ id: number }>(sut.pedidos.http, 'POST', '/pedidos', {
      token,
      headers: { 'idempotency-key': `topology-async-${++orders}` },
      body: { itens: [{ produto_id: produto, quantidade: 1 }] },
    });
    assert.equal(response.status, 202, response.text);
    return response.body.id;
  }

  async function statusOf(id: number): Promise<string | undefined> {
    assert.ok(sut !== undefined);
    const response = await call<{ status?: string }>(sut.pedidos.http, 'GET', `/pedidos/${id}`, { token });
    return response.body.status;
  }

  async function untilTerminal(id: number, timeoutMs = 60_000): Promise<string | undefined> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const status = await statusOf(id);
      if (status === 'enviado' || status === 'cancelado' || performance.now() > deadline) return status;
      await sleep(100);
    }
  }

  test('three HTTP processes and a worker per queue run; an order is accepted (202) and ships', async () => {
    assert.ok(sut !== undefined);
    assert.deepEqual(
      sut.processes.map((p) => p.name),
      [
        'estoque',
        'catalogo',
        'pedidos',
        'worker-pedidos',
        'worker-estoque',
        'worker-pagamentos',
        'worker-fiscal',
        'worker-logistica',
      ],
    );
    assert.deepEqual(
      sut.processesOf('pedidos').map((p) => p.name),
      ['pedidos', 'worker-pedidos'],
    );
    assert.deepEqual(
      sut.processesOf('estoque').map((p) => p.name),
      ['estoque', 'worker-estoque'],
    );
    assert.deepEqual(
      sut.processesOf('pagamentos').map((p) => p.name),
      ['worker-pagamentos'],
    );
    const id = await acceptOrder();
    assert.equal(await untilTerminal(id), 'enviado');
    // worker-pagamentos reaches RabbitMQ through the delaying proxy.
    const hop = sut.hop;
    assert.ok(hop !== null);
    assert.equal(hop.proxies.length, 1);
    const worker = only(sut, 'worker-pagamentos');
    const proxy = hop.proxies[0];
    assert.ok(proxy !== undefined);
    assert.ok(clientConnectionPorts(worker.pid, proxy.port).length > 0, 'its AMQP connection is proxied');
  });

  test('with worker-pagamentos killed an order is accepted and waits; once restarted, it ships', async () => {
    assert.ok(sut !== undefined);
    const [worker] = sut.processesOf('pagamentos');
    assert.ok(worker?.pid !== undefined);
    const before = worker.pid;
    await worker.kill();
    assert.equal(worker.up, false);
    const id = await acceptOrder();
    await sleep(1000);
    const waiting = await statusOf(id);
    assert.notEqual(waiting, 'enviado', 'no payment without the payment worker');
    assert.notEqual(waiting, 'cancelado');
    await worker.restart();
    const now = pidOf(worker);
    assert.ok(now !== undefined && now !== before, `a new pid (${before} → ${String(now)})`);
    assert.equal(await healthStatus(worker), 200);
    assert.equal(await untilTerminal(id), 'enviado');
  });

  test('a paused worker is stopped (state T) and runs again once resumed', async () => {
    assert.ok(sut !== undefined);
    const fiscal = only(sut, 'worker-fiscal');
    fiscal.pause();
    await eventually('worker-fiscal is stopped', () => stateOf(fiscal.pid) === 'T');
    fiscal.resume();
    await eventually('worker-fiscal runs again', () => stateOf(fiscal.pid) !== 'T');
    const id = await acceptOrder();
    assert.equal(await untilTerminal(id), 'enviado');
    const pids = pidsOf(sut);
    await sut.stop();
    assert.ok(pids.every((pid) => !existsSync(`/proc/${pid}`)));
    sut = undefined;
  });
});
