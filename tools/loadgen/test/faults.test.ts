import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { after, describe, test, type TestContext } from 'node:test';
import type { CheckoutService } from '@dslab/checkout-kit';
import {
  parseFault,
  parseLatency,
  plannedFaultTimes,
  startFaultScheduler,
  type FaultCounters,
  type FaultProcess,
  type FaultSchedulerOptions,
  type FaultSpec,
} from '../src/faults.js';

// ---------------------------------------------------------------------------------------------
// Stand-ins for the system under test: real idle Node processes, driven with real signals.

const children = new Set<ChildProcess>();

after(() => {
  // SIGKILL also ends a stopped process.
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function spawnIdle(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.add(child);
  return child;
}

interface StandIn extends FaultProcess {
  readonly pid: number;
  /** Every child it ran, the current one last. */
  readonly history: readonly ChildProcess[];
}

async function standIn(name: string, options: { failRestart?: string } = {}): Promise<StandIn> {
  const history: ChildProcess[] = [];
  const start = async () => {
    const child = spawnIdle();
    history.push(child);
    await once(child, 'spawn');
  };
  const current = () => {
    const child = history.at(-1);
    if (child?.pid === undefined) throw new Error(`${name} has no process`);
    return child;
  };
  await start();
  return {
    name,
    history,
    get pid() {
      return current().pid ?? -1;
    },
    async kill() {
      const child = current();
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
    async restart() {
      if (options.failRestart !== undefined) throw new Error(options.failRestart);
      await start();
    },
    pause() {
      process.kill(current().pid ?? -1, 'SIGSTOP');
    },
    resume() {
      process.kill(current().pid ?? -1, 'SIGCONT');
    },
  };
}

/** The process state letter of /proc/<pid>/stat: 'T' when stopped, 'S'/'R' when running. */
function stateOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (in parentheses) may contain spaces: the state follows its closing one.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '?';
}

const isStopped = (process: StandIn) => stateOf(process.pid) === 'T';
const isDead = (child: ChildProcess | undefined) => child?.signalCode === 'SIGKILL';

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function targetOf(processes: Partial<Record<CheckoutService, readonly StandIn[]>>) {
  return { processesOf: (service: CheckoutService) => processes[service] ?? [] };
}

/** Counters that the test moves by hand; `reads` counts how often each was read. */
function handCounters(initial: Partial<Record<keyof FaultCounters, number>> = {}) {
  const values = { payments: 0, orders: 0, shipments: 0, ...initial };
  const reads = { payments: 0, orders: 0, shipments: 0 };
  const counters: FaultCounters = {
    payments: async () => (reads.payments++, values.payments),
    orders: async () => (reads.orders++, values.orders),
    shipments: async () => (reads.shipments++, values.shipments),
  };
  return { values, reads, counters };
}

function schedule(
  t: TestContext,
  options: Omit<FaultSchedulerOptions, 'seed' | 'startedAt'> & { seed?: number },
) {
  const scheduler = startFaultScheduler({ seed: 1, startedAt: performance.now(), pollMs: 5, ...options });
  // Restores whatever a failed assertion left down or frozen (stop is idempotent).
  t.after(() => scheduler.stop());
  return scheduler;
}

// ---------------------------------------------------------------------------------------------

describe('parseFault', () => {
  test('when the fault is at a time, then it reads the action, service, time and duration', () => {
    assert.deepEqual(parseFault('kill:pagamentos@10s+5s'), {
      text: 'kill:pagamentos@10s+5s',
      action: 'kill',
      service: 'pagamentos',
      trigger: { kind: 'time', atS: 10 },
      durationS: 5,
    });
    assert.deepEqual(parseFault('  pause:catalogo@500ms+1.5s ').trigger, { kind: 'time', atS: 0.5 });
    assert.equal(parseFault('pause:catalogo@500ms+1.5s').durationS, 1.5);
    assert.equal(parseFault('kill:logistica@0s+250ms').durationS, 0.25);
  });

  test('when the fault waits for a counter, then it reads the counter and the count', () => {
    assert.deepEqual(parseFault('pause:estoque@payments=100+3s'), {
      text: 'pause:estoque@payments=100+3s',
      action: 'pause',
      service: 'estoque',
      trigger: { kind: 'after', counter: 'payments', n: 100 },
      durationS: 3,
    });
    assert.deepEqual(parseFault('kill:pedidos@shipments=1+1s').trigger, {
      kind: 'after',
      counter: 'shipments',
      n: 1,
    });
    assert.deepEqual(parseFault('kill:pedidos@orders=20+1s').trigger, {
      kind: 'after',
      counter: 'orders',
      n: 20,
    });
  });

  test('when the fault is at a random time, then it reads the bounds', () => {
    assert.deepEqual(parseFault('kill:fiscal@random(5s..15s)+4s'), {
      text: 'kill:fiscal@random(5s..15s)+4s',
      action: 'kill',
      service: 'fiscal',
      trigger: { kind: 'random', fromS: 5, toS: 15 },
      durationS: 4,
    });
    assert.deepEqual(parseFault('kill:fiscal@random(500ms..2.5s)+4s').trigger, {
      kind: 'random',
      fromS: 0.5,
      toS: 2.5,
    });
  });

  const bad: readonly (readonly [string, RegExp])[] = [
    ['', /no ":" after the action/],
    ['kill', /no ":" after the action/],
    ['restart:pagamentos@10s+5s', /unknown action "restart" \(one of kill, pause\)/],
    [
      'kill:pagamento@10s+5s',
      /unknown service "pagamento" \(one of pedidos, pagamentos, estoque, fiscal, logistica, catalogo\)/,
    ],
    ['kill:pagamentos+5s', /no "@<when>" after the service/],
    ['kill:pagamentos@10s', /no "\+<duration>" at the end/],
    ['kill:pagamentos@10+5s', /"10" is not a duration \(it needs a unit\)/],
    ['kill:pagamentos@10s+5m', /"5m" is not a duration: write a number with ms or s/],
    ['kill:pagamentos@-1s+5s', /"-1s" is not a duration/],
    ['kill:pagamentos@10s+', /"" is not a duration/],
    ['kill:fiscal@random(15s..5s)+4s', /the start must come before the end/],
    ['kill:fiscal@random(5s..5s)+4s', /the start must come before the end/],
    ['kill:fiscal@random(5s)+4s', /must read random\(<from>\.\.<to>\)/],
    ['kill:fiscal@random(5..15s)+4s', /"5" is not a duration \(it needs a unit\)/],
    ['pause:estoque@refunds=3+1s', /unknown counter "refunds" \(one of payments, orders, shipments\)/],
    ['pause:estoque@payments=0+1s', /the count must be a whole number ≥ 1/],
    ['pause:estoque@payments=2.5+1s', /the count must be a whole number ≥ 1/],
    ['pause:estoque@payments=+1s', /the count must be a whole number ≥ 1/],
  ];
  for (const [text, reason] of bad) {
    test(`when the fault is "${text}", then it is refused with the reason and the format`, () => {
      assert.throws(
        () => parseFault(text),
        (error: unknown) => {
          assert.ok(error instanceof Error);
          assert.ok(error.message.startsWith(`bad fault "${text}": `), error.message);
          assert.match(error.message, reason);
          assert.match(error.message, /expected <kill\|pause>:<service>@<when>\+<duration>/);
          return true;
        },
      );
    });
  }
});

describe('parseLatency', () => {
  test('when the latency names a service and a delay, then it reads both in milliseconds', () => {
    assert.deepEqual(parseLatency('pagamentos=100ms'), { service: 'pagamentos', delayMs: 100 });
    assert.deepEqual(parseLatency(' estoque=0.25s '), { service: 'estoque', delayMs: 250 });
  });

  test('when the latency is malformed, then it is refused with the reason and the format', () => {
    const cases: readonly (readonly [string, RegExp])[] = [
      ['pagamentos', /no "="/],
      ['banco=100ms', /unknown service "banco"/],
      ['pagamentos=100', /"100" is not a duration \(it needs a unit\)/],
      ['pagamentos=fast', /"fast" is not a duration/],
    ];
    for (const [text, reason] of cases) {
      assert.throws(
        () => parseLatency(text),
        (error: unknown) => {
          assert.ok(error instanceof Error);
          assert.ok(error.message.startsWith(`bad latency "${text}": `), error.message);
          assert.match(error.message, reason);
          assert.match(error.message, /expected <service>=<delay>, e\.g\. pagamentos=100ms/);
          return true;
        },
      );
    }
  });
});

describe('plannedFaultTimes', () => {
  const specs: readonly FaultSpec[] = [
    'kill:fiscal@random(5s..15s)+4s',
    'kill:pagamentos@10s+5s',
    'pause:estoque@payments=100+3s',
    'pause:logistica@random(1s..2s)+1s',
  ].map(parseFault);

  test('when the seed and the specs are the same, then the drawn times are the same', () => {
    // Parsed again: equal specs, not the same objects, as two transports' runs would have.
    const again = specs.map((spec) => parseFault(spec.text));
    assert.deepEqual(plannedFaultTimes(specs, 42), plannedFaultTimes(again, 42));
  });

  test('when the seed changes, then the drawn times change', () => {
    assert.notDeepEqual(plannedFaultTimes(specs, 42), plannedFaultTimes(specs, 43));
  });

  test('then a time stays as given, a counter has none, and a draw falls inside its bounds', () => {
    for (let seed = 0; seed < 200; seed += 1) {
      const [fiscal, pagamentos, estoque, logistica] = plannedFaultTimes(specs, seed);
      assert.equal(pagamentos, 10);
      assert.equal(estoque, null);
      assert.ok(typeof fiscal === 'number' && fiscal >= 5 && fiscal < 15, `fiscal ${fiscal}`);
      assert.ok(typeof logistica === 'number' && logistica >= 1 && logistica < 2, `logistica ${logistica}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('startFaultScheduler', () => {
  test('when a kill is due, then every process of the service dies, and it restarts with a new pid after the duration', async (t) => {
    const pagamentos = await standIn('pagamentos');
    const worker = await standIn('worker-pagamentos');
    const estoque = await standIn('estoque');
    const before = { pagamentos: pagamentos.pid, worker: worker.pid, estoque: estoque.pid };
    const lines: string[] = [];
    const scheduler = schedule(t, {
      specs: [parseFault('kill:pagamentos@0.2s+0.3s')],
      target: targetOf({ pagamentos: [pagamentos, worker], estoque: [estoque] }),
      counters: handCounters().counters,
      log: (line) => lines.push(line),
    });

    await waitFor(
      'both pagamentos processes were killed',
      () => isDead(pagamentos.history[0]) && isDead(worker.history[0]),
    );
    await waitFor(
      'both were restarted',
      () => pagamentos.history.length === 2 && worker.history.length === 2,
    );
    const [event] = await scheduler.stop();

    assert.notEqual(pagamentos.pid, before.pagamentos);
    assert.notEqual(worker.pid, before.worker);
    assert.notEqual(stateOf(pagamentos.pid), 'Z');
    assert.equal(estoque.pid, before.estoque, 'the other service was not touched');
    assert.equal(estoque.history.length, 1);
    assert.ok(event);
    assert.equal(event.spec, 'kill:pagamentos@0.2s+0.3s');
    assert.equal(event.action, 'kill');
    assert.equal(event.service, 'pagamentos');
    assert.deepEqual(event.processes, ['pagamentos', 'worker-pagamentos']);
    assert.equal(event.problem, undefined);
    assert.equal(event.observed, undefined);
    assert.ok(event.firedAtS !== null && event.firedAtS >= 0.2, `fired at ${event.firedAtS}`);
    assert.ok(
      event.restoredAtS !== null && event.restoredAtS >= event.firedAtS + 0.3 - 0.001,
      `restored at ${event.restoredAtS}`,
    );
    assert.ok(
      lines.some((line) => line.includes('kill pagamentos, worker-pagamentos')),
      lines.join('\n'),
    );
  });

  test('when a counter reaches its count above the baseline, then the service is SIGSTOPped, and SIGCONTed after the duration', async (t) => {
    const estoque = await standIn('estoque');
    const worker = await standIn('worker-estoque');
    const fiscal = await standIn('fiscal');
    // A baseline of 100: the phase's 5th payment is the counter's 105.
    const { values, reads, counters } = handCounters({ payments: 100, orders: 7 });
    const scheduler = schedule(t, {
      specs: [parseFault('pause:estoque@payments=5+0.5s')],
      target: targetOf({ estoque: [estoque, worker], fiscal: [fiscal] }),
      counters,
    });

    await waitFor('the baseline and a few rounds were read', () => reads.payments >= 3);
    values.payments = 104;
    const seen = reads.payments;
    await waitFor('the scheduler read 104 a few times', () => reads.payments >= seen + 3);
    assert.notEqual(stateOf(estoque.pid), 'T', 'four payments into the phase: not yet');
    assert.notEqual(stateOf(worker.pid), 'T');

    values.payments = 105;
    await waitFor('both estoque processes are stopped', () => isStopped(estoque) && isStopped(worker));
    assert.notEqual(stateOf(fiscal.pid), 'T', 'the other service was not touched');
    await waitFor('both run again', () => !isStopped(estoque) && !isStopped(worker));
    const [event] = await scheduler.stop();

    assert.equal(reads.orders, 0, 'a counter no trigger needs is never read');
    assert.equal(estoque.history.length, 1, 'a pause does not restart');
    assert.ok(event);
    assert.equal(event.action, 'pause');
    assert.deepEqual(event.processes, ['estoque', 'worker-estoque']);
    assert.deepEqual(event.observed, { counter: 'payments', value: 5 });
    assert.equal(event.problem, undefined);
    assert.ok(event.firedAtS !== null);
    assert.ok(
      event.restoredAtS !== null && event.restoredAtS >= event.firedAtS + 0.5 - 0.001,
      `fired at ${event.firedAtS}, restored at ${event.restoredAtS}`,
    );
  });

  test('when the time is drawn from the seed, then the fault fires at (not before) the drawn time', async (t) => {
    const fiscal = await standIn('fiscal');
    const first = fiscal.pid;
    const specs = [parseFault('kill:fiscal@random(0.1s..0.4s)+0.1s')];
    const [planned] = plannedFaultTimes(specs, 7);
    const scheduler = schedule(t, {
      specs,
      seed: 7,
      target: targetOf({ fiscal: [fiscal] }),
      counters: handCounters().counters,
    });

    await waitFor('fiscal was restarted', () => fiscal.history.length === 2);
    const [event] = await scheduler.stop();

    assert.notEqual(fiscal.pid, first);
    assert.ok(typeof planned === 'number');
    assert.ok(
      event?.firedAtS != null && event.firedAtS >= planned - 0.0005,
      `fired ${event?.firedAtS}, drawn ${planned}`,
    );
  });

  test('when the phase ends before the restore time, then stop restores at once and waits for it', async (t) => {
    const catalogo = await standIn('catalogo');
    const logistica = await standIn('logistica');
    const first = catalogo.pid;
    const scheduler = schedule(t, {
      specs: [parseFault('kill:catalogo@0s+60s'), parseFault('pause:logistica@0s+60s')],
      target: targetOf({ catalogo: [catalogo], logistica: [logistica] }),
      counters: handCounters().counters,
    });

    await waitFor(
      'catalogo is dead and logistica stopped',
      () => isDead(catalogo.history[0]) && isStopped(logistica),
    );
    const events = await scheduler.stop();

    assert.equal(catalogo.history.length, 2, 'catalogo was restarted');
    assert.notEqual(catalogo.pid, first);
    assert.notEqual(stateOf(logistica.pid), 'T', 'logistica runs again');
    assert.equal(events.length, 2);
    for (const event of events) {
      assert.equal(event.problem, undefined);
      assert.ok(event.firedAtS !== null && event.restoredAtS !== null);
      assert.ok(event.restoredAtS < 60, `restored at ${event.restoredAtS}`);
    }
  });

  test('when the phase ends before a trigger, then nothing is touched and the event says why', async (t) => {
    const pedidos = await standIn('pedidos');
    const first = pedidos.pid;
    const { reads, counters } = handCounters({ shipments: 3 });
    const scheduler = schedule(t, {
      specs: [parseFault('kill:pedidos@60s+1s'), parseFault('pause:pedidos@shipments=10+1s')],
      target: targetOf({ pedidos: [pedidos] }),
      counters,
    });

    await waitFor('shipments was read a few times', () => reads.shipments >= 3);
    const [atTime, afterCount] = await scheduler.stop();

    assert.equal(pedidos.pid, first);
    assert.notEqual(stateOf(pedidos.pid), 'T');
    assert.ok(atTime && afterCount);
    for (const event of [atTime, afterCount]) {
      assert.equal(event.firedAtS, null);
      assert.equal(event.restoredAtS, null);
      assert.deepEqual(event.processes, []);
    }
    assert.match(atTime.problem ?? '', /the phase ended \(at \d+\.\d s\) before its time \(60\.000 s\)/);
    assert.match(afterCount.problem ?? '', /before shipments grew by 10 \(shipments grew by 0\)/);
    assert.equal(afterCount.observed, undefined);
    // After stop, the poll loop reads no more.
    const readsAtStop = reads.shipments;
    await delay(50);
    assert.equal(reads.shipments, readsAtStop);
  });

  test('when a service has no process or a restart fails, then the event carries the problem', async (t) => {
    const worker = await standIn('worker-logistica', { failRestart: 'health never answered' });
    const lines: string[] = [];
    const scheduler = schedule(t, {
      specs: [
        parseFault('kill:logistica@0s+0.1s'),
        parseFault('pause:catalogo@0s+0.1s'),
        parseFault('kill:fiscal@orders=1+1s'),
      ],
      target: targetOf({ logistica: [worker] }),
      counters: {
        ...handCounters().counters,
        orders: () => Promise.reject(new Error('relation "pedidos" does not exist')),
      },
      log: (line) => lines.push(line),
    });

    await waitFor('worker-logistica was killed', () => isDead(worker.history[0]));
    await waitFor('the counter failure was logged', () =>
      lines.some((line) => line.includes('does not exist')),
    );
    const [killed, nobody, counter] = await scheduler.stop();

    assert.ok(killed && nobody && counter);
    assert.ok(killed.firedAtS !== null);
    assert.equal(killed.restoredAtS, null);
    assert.match(killed.problem ?? '', /restart worker-logistica failed: health never answered/);
    assert.equal(nobody.firedAtS, null);
    assert.match(nobody.problem ?? '', /no process runs catalogo/);
    assert.equal(counter.firedAtS, null);
    assert.match(counter.problem ?? '', /orders was never read/);
  });
});
