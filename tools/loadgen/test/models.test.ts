import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { Pool } from 'undici';
import { decodeRecorder } from '../src/histogram.js';
import { kneeOf, runStepped, type KneeStep } from '../src/knee.js';
import {
  runClosed,
  runOpen,
  type Operation,
  type OperationResult,
  type PhaseCore,
  type ProgressSnapshot,
} from '../src/models.js';

/** A real HTTP server on a free port, with a keep-alive client pool big enough to never queue. */
async function startServer(handler: (request: IncomingMessage, response: ServerResponse) => void) {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 512, pipelining: 1 });
  return {
    pool,
    async close() {
      await pool.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** GET /<i>: 200 → shipped, anything else → error http-<status>; a failure is an outcome. */
function httpOperation(pool: Pool, onCall?: (i: number) => void): Operation {
  return async (i, signal) => {
    onCall?.(i);
    try {
      const response = await pool.request({ method: 'GET', path: `/${i}`, signal });
      await response.body.dump();
      return response.statusCode === 200
        ? { outcome: { kind: 'shipped' } }
        : { outcome: { kind: 'error', error: `http-${response.statusCode}` } };
    } catch (error) {
      return { outcome: { kind: 'error', error: (error as Error).name } };
    }
  };
}

function indexOf(request: IncomingMessage): number {
  return Number((request.url ?? '/').slice(1));
}

/** The per-second timeline adds up to the phase's totals. */
function assertTimelineAddsUp(phase: PhaseCore): void {
  const sum = (pick: (bucket: PhaseCore['timeline'][number]) => number) =>
    phase.timeline.reduce((total, bucket) => total + pick(bucket), 0);
  assert.equal(
    sum((b) => b.sent),
    phase.sent,
    'timeline sent',
  );
  assert.equal(
    sum((b) => b.shipped),
    phase.shipped,
    'timeline shipped',
  );
  assert.equal(
    sum((b) => b.cancelled),
    phase.cancelled,
    'timeline cancelled',
  );
  assert.equal(
    sum((b) => b.errors),
    phase.errors,
    'timeline errors',
  );
  assert.deepEqual(
    phase.timeline.map((b) => b.t),
    phase.timeline.map((_, i) => i),
  );
  for (const bucket of phase.timeline) {
    const ended = bucket.shipped + bucket.cancelled + bucket.errors;
    assert.equal(bucket.p99Ms === null, ended === 0, `p99 of second ${bucket.t} is null iff nothing ended`);
  }
  assert.equal(phase.endToEnd.count, phase.shipped + phase.cancelled + phase.errors);
  assert.equal(phase.sent, phase.shipped + phase.cancelled + phase.errors);
  assert.equal(decodeRecorder(phase.histograms.endToEnd).count, phase.sent);
}

/**
 * A server that holds every request ARRIVING between 0.5 s and 1.5 s after `start` for 1 s (a
 * stall), and answers the others at once; it counts what arrived during the stall and the most
 * requests it held at the same time.
 */
async function startStallingServer() {
  const stats = { start: 0, arrivedDuringStall: 0, inFlight: 0, maxInFlight: 0 };
  const server = await startServer((_request, response) => {
    const arrival = performance.now() - stats.start;
    stats.inFlight += 1;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    const answer = () => {
      stats.inFlight -= 1;
      response.end('ok');
    };
    if (arrival >= 500 && arrival < 1500) {
      stats.arrivedDuringStall += 1;
      setTimeout(answer, 1000);
    } else {
      answer();
    }
  });
  return { ...server, stats };
}

test('when the server stalls for 1 s under the open model, then every order is still sent on time and the stall shows in p99', async () => {
  const server = await startStallingServer();
  try {
    const called = new Set<number>();
    server.stats.start = performance.now();
    const phase = await runOpen({
      label: 'open 200/s',
      rate: 200,
      seconds: 2,
      operation: httpOperation(server.pool, (i) => called.add(i)),
      firstIndex: 0,
      timeoutMs: 10_000,
    });
    // Nothing skipped, nothing waited for the held requests: 400 orders, indexes 0…399.
    assert.equal(phase.sent, 400);
    assert.equal(phase.shipped, 400);
    assert.equal(phase.errors, 0);
    assert.deepEqual(
      [...called].sort((a, b) => a - b),
      Array.from({ length: 400 }, (_, i) => i),
    );
    // Sent by due time: exactly 200 in each second.
    assert.equal(phase.timeline[0]?.sent, 200);
    assert.equal(phase.timeline[1]?.sent, 200);
    // The generator kept sending while the server held requests (≈200 arrive during the stall).
    assert.ok(
      server.stats.arrivedDuringStall >= 100,
      `${server.stats.arrivedDuringStall} arrived during the stall`,
    );
    assert.ok(server.stats.maxInFlight >= 100, `at most ${server.stats.maxInFlight} held at once`);
    // Half the orders waited ≈1 s: the p99 shows the stall.
    assert.ok(phase.endToEnd.p99 >= 900, `p99 ${phase.endToEnd.p99} ms`);
    assert.ok(phase.endToEnd.max >= 900);
    assert.equal(phase.model, 'open');
    assert.equal(phase.offeredRate, 200);
    assert.equal(phase.concurrency, null);
    assert.equal(phase.label, 'open 200/s');
    assert.equal(phase.sendSeconds, 2);
    assert.equal(phase.accept, null);
    assert.equal(phase.histograms.accept, null);
    assert.equal(phase.afterAccept, null);
    assert.deepEqual(phase.errorsByKind, {});
    // The window runs from the first due time to the last end (the last held one, ≈2.5 s).
    assert.ok(phase.windowSeconds >= 1.995, `window ${phase.windowSeconds} s`);
    assert.ok(Math.abs(phase.throughput - 400 / phase.windowSeconds) < 1e-9);
    assert.ok(Math.abs(phase.goodput - 400 / phase.windowSeconds) < 1e-9);
    assert.ok(Math.abs(phase.startedAt - Date.now()) < 60_000);
    assertTimelineAddsUp(phase);
  } finally {
    await server.close();
  }
});

test('when the same stall hits the closed model, then its clients wait and far fewer requests reach the server (coordinated omission)', async (t) => {
  const server = await startStallingServer();
  try {
    server.stats.start = performance.now();
    const phase = await runClosed({
      label: 'closed 4',
      concurrency: 4,
      seconds: 2,
      operation: httpOperation(server.pool),
      firstIndex: 0,
      timeoutMs: 10_000,
    });
    t.diagnostic(
      `closed: ${phase.sent} sent, ${server.stats.arrivedDuringStall} during the stall, p99 ${phase.endToEnd.p99} ms`,
    );
    // Each client is stuck on its held request: at most one arrival per client during the stall
    // (two, if a release lands a hair before its end), never more than 4 in flight.
    assert.ok(server.stats.maxInFlight <= 4, `${server.stats.maxInFlight} in flight`);
    assert.ok(
      server.stats.arrivedDuringStall <= 8,
      `${server.stats.arrivedDuringStall} arrived during the stall`,
    );
    assert.ok(server.stats.arrivedDuringStall >= 1);
    assert.equal(phase.shipped, phase.sent);
    assert.equal(phase.model, 'closed');
    assert.equal(phase.concurrency, 4);
    assert.equal(phase.offeredRate, null);
    assertTimelineAddsUp(phase);
  } finally {
    await server.close();
  }
});

test('when the server answers 503, then the errors are counted by kind and in the latency histogram', async () => {
  const server = await startServer((request, response) => {
    response.statusCode = indexOf(request) % 2 === 0 ? 200 : 503;
    response.end();
  });
  try {
    const snapshots: ProgressSnapshot[] = [];
    const open = await runOpen({
      label: 'open 100/s',
      rate: 100,
      seconds: 1,
      operation: httpOperation(server.pool),
      firstIndex: 0,
      timeoutMs: 10_000,
      onProgress: (snapshot) => snapshots.push(snapshot),
    });
    assert.equal(open.sent, 100);
    assert.equal(open.shipped, 50);
    assert.equal(open.errors, 50);
    assert.deepEqual(open.errorsByKind, { 'http-503': 50 });
    assert.equal(open.endToEnd.count, 100);
    assert.ok(Math.abs(open.goodput - 50 / open.windowSeconds) < 1e-9);
    assertTimelineAddsUp(open);

    // Progress: periodic snapshots, then a final one with everything ended.
    assert.ok(snapshots.length >= 2, `${snapshots.length} snapshots`);
    const last = snapshots.at(-1);
    assert.equal(last?.phase, 'open 100/s');
    assert.equal(last.totalS, 1);
    assert.equal(last.sent, 100);
    assert.equal(last.ended, 100);
    assert.equal(last.inFlight, 0);
    assert.equal(last.errors, 50);
    for (const [i, snapshot] of snapshots.entries()) {
      assert.equal(snapshot.inFlight, snapshot.sent - snapshot.ended);
      assert.ok(snapshot.ratePerS <= snapshot.ended);
      if (i > 0) assert.ok(snapshot.sent >= (snapshots[i - 1]?.sent ?? 0));
    }

    // The closed model too, with indexes continuing from firstIndex.
    const indexes: number[] = [];
    const closed = await runClosed({
      label: 'closed 2',
      concurrency: 2,
      seconds: 0.5,
      operation: httpOperation(server.pool, (i) => indexes.push(i)),
      firstIndex: 1000,
      timeoutMs: 10_000,
    });
    assert.ok(closed.sent > 0);
    assert.equal(closed.errors, closed.errorsByKind['http-503']);
    assert.equal(closed.shipped + closed.errors, closed.sent);
    assert.ok(Math.abs(closed.shipped - closed.errors) <= 2, 'even indexes ship, odd ones fail');
    assert.deepEqual(
      indexes.sort((a, b) => a - b),
      Array.from({ length: closed.sent }, (_, i) => 1000 + i),
    );
    assertTimelineAddsUp(closed);
  } finally {
    await server.close();
  }
});

test('when an order passes the timeout, then it is recorded at once as a timeout, its request aborted and its late result ignored', async () => {
  const aborted = new Set<number>();
  // Every 4th request is never answered; the server sees the client give up (the socket closes).
  const server = await startServer((request, response) => {
    const i = indexOf(request);
    if (i % 4 !== 0) {
      response.end('ok');
      return;
    }
    response.on('close', () => aborted.add(i));
  });
  try {
    const signals = new Map<number, AbortSignal>();
    const http = httpOperation(server.pool);
    const operation: Operation = async (i, signal) => {
      signals.set(i, signal);
      // An operation that never ends and ignores its signal must not hold the phase up.
      if (i === 2) return new Promise<OperationResult>(() => undefined);
      const result = await http(i, signal);
      // A late lie: "shipped" after the abort must not be counted.
      return signal.aborted ? { outcome: { kind: 'shipped' } } : result;
    };
    const phase = await runOpen({
      label: 'timeouts',
      rate: 100,
      seconds: 1,
      operation,
      firstIndex: 0,
      timeoutMs: 300,
    });
    assert.equal(phase.sent, 100);
    assert.deepEqual(phase.errorsByKind, { timeout: 26 });
    assert.equal(phase.shipped, 74);
    // A timeout's latency is the timeout (within HDR's 0.1 %).
    assert.ok(phase.endToEnd.max >= 300 && phase.endToEnd.max <= 300.5, `max ${phase.endToEnd.max} ms`);
    // The window ends with the last timeout: order 96, due at 0.96 s, + 0.3 s.
    assert.ok(Math.abs(phase.windowSeconds - 1.26) < 1e-6, `window ${phase.windowSeconds} s`);
    assertTimelineAddsUp(phase);
    for (const [i, signal] of signals) assert.equal(signal.aborted, i % 4 === 0 || i === 2, `signal ${i}`);
    // The aborted requests' connections close on the server.
    for (let waited = 0; aborted.size < 25 && waited < 5000; waited += 20) await sleep(20);
    assert.equal(aborted.size, 25);
  } finally {
    await server.close();
  }
});

test('when results carry acceptedAt and finishedAt, then the accept histogram and the end-to-end latency use them', async () => {
  // POST /<i> → 202 at once; GET /<i> → 200 50 ms later, with the server's completion time.
  const server = await startServer((request, response) => {
    if (request.method === 'POST') {
      response.statusCode = 202;
      response.end();
      return;
    }
    setTimeout(() => response.end(String(performance.now())), 50);
  });
  try {
    const times = new Map<number, { acceptedAt: number; finishedAt: number }>();
    const operation: Operation = async (i, signal) => {
      const accepted = await server.pool.request({ method: 'POST', path: `/${i}`, signal });
      await accepted.body.dump();
      const acceptedAt = performance.now();
      const done = await server.pool.request({ method: 'GET', path: `/${i}`, signal });
      const finishedAt = Number(await done.body.text());
      times.set(i, { acceptedAt, finishedAt });
      // Like a poller that notices the end a while after it happened.
      await sleep(100);
      return { outcome: { kind: 'shipped' }, acceptedAt, finishedAt };
    };
    const rate = 50;
    const phase = await runOpen({
      label: 'async',
      rate,
      seconds: 0.5,
      operation,
      firstIndex: 0,
      timeoutMs: 10_000,
    });
    assert.equal(phase.sent, 25);
    assert.ok(phase.accept !== null);
    assert.equal(phase.accept.count, 25);
    assert.equal(decodeRecorder(phase.histograms.accept ?? '').count, 25);
    // Recompute each order's latencies from its due time (t0 from startedAt, ±0.5 ms rounding).
    const t0 = phase.startedAt - performance.timeOrigin;
    const worst = (pick: (at: { acceptedAt: number; finishedAt: number }) => number) =>
      Math.max(...[...times].map(([i, at]) => pick(at) - (t0 + (i * 1000) / rate)));
    const near = (actual: number, expected: number) => Math.abs(actual - expected) <= 1 + expected * 0.001;
    const endToEnd = worst((at) => at.finishedAt);
    assert.ok(near(phase.endToEnd.max, endToEnd), `end-to-end max ${phase.endToEnd.max} vs ${endToEnd}`);
    assert.ok(
      near(
        phase.accept.max,
        worst((at) => at.acceptedAt),
      ),
      `accept max ${phase.accept.max}`,
    );
    // Every order ended ≥ 50 ms after its 202.
    assert.ok(phase.endToEnd.p50 >= phase.accept.p50 + 49);
    assert.ok(phase.endToEnd.min >= 50);
    // From the 202 to the end: the server's finishing time, not when the (late) poller noticed.
    assert.ok(phase.afterAccept != null);
    assert.equal(phase.afterAccept.count, 25);
    assert.equal(decodeRecorder(phase.histograms.afterAccept ?? '').count, 25);
    const afterAccept = Math.max(...[...times.values()].map((at) => at.finishedAt - at.acceptedAt));
    assert.ok(
      near(phase.afterAccept.max, afterAccept),
      `202 → end max ${phase.afterAccept.max} vs ${afterAccept}`,
    );
    assert.ok(phase.afterAccept.min >= 49, `202 → end min ${phase.afterAccept.min}`);
  } finally {
    await server.close();
  }
});

test('when the event loop is blocked, then the open model catches up in a burst and charges the delay to the orders', async () => {
  const server = await startServer((_request, response) => response.end('ok'));
  try {
    const called = new Set<number>();
    const http = httpOperation(server.pool);
    const operation: Operation = (i, signal) => {
      called.add(i);
      if (i === 40) {
        // 300 ms of synchronous work at t ≈ 200 ms: the orders due meanwhile start late.
        const until = performance.now() + 300;
        while (performance.now() < until);
      }
      return http(i, signal);
    };
    const phase = await runOpen({
      label: 'blocked',
      rate: 200,
      seconds: 1,
      operation,
      firstIndex: 0,
      timeoutMs: 10_000,
    });
    assert.equal(phase.sent, 200);
    assert.equal(called.size, 200);
    assert.equal(phase.shipped, 200);
    // Orders due at ≈205 ms started at ≈500 ms: their latency counts from the due time.
    assert.ok(phase.endToEnd.p99 >= 250, `p99 ${phase.endToEnd.p99} ms`);
  } finally {
    await server.close();
  }
});

test('when the options are out of range, then the models refuse them', async () => {
  const operation: Operation = async () => ({ outcome: { kind: 'shipped' } });
  const base = { label: 'x', seconds: 1, operation, firstIndex: 0, timeoutMs: 1000 };
  await assert.rejects(runOpen({ ...base, rate: 0 }), /rate/);
  await assert.rejects(runOpen({ ...base, rate: 10, seconds: 0 }), /seconds/);
  await assert.rejects(runOpen({ ...base, rate: 10, timeoutMs: -1 }), /timeoutMs/);
  await assert.rejects(runClosed({ ...base, concurrency: 1.5 }), /concurrency/);
  await assert.rejects(runClosed({ ...base, concurrency: 1, firstIndex: -1 }), /firstIndex/);
});

test('when a closed-model operation settles without I/O, then the phase still ends on time and counts every order', async () => {
  const operation: Operation = async (i) =>
    i % 3 === 0
      ? { outcome: { kind: 'cancelled', reason: 'pagamento-recusado' } }
      : { outcome: { kind: 'shipped' } };
  const snapshots: ProgressSnapshot[] = [];
  const phase = await runClosed({
    label: 'instant',
    concurrency: 3,
    seconds: 0.6,
    operation,
    firstIndex: 0,
    timeoutMs: 1000,
    onProgress: (snapshot) => snapshots.push(snapshot),
  });
  assert.ok(phase.sent > 0);
  assert.equal(phase.cancelledByReason['pagamento-recusado'], phase.cancelled);
  assert.equal(phase.cancelled, Math.ceil(phase.sent / 3));
  // The progress timer was not starved by the microtask-only loop.
  assert.ok(snapshots.length >= 2, `${snapshots.length} snapshots`);
  assertTimelineAddsUp(phase);
});

/** A step that meets or misses the criteria as told. */
function step(rate: number, p99: number, errors = 0, throughput = rate, sent = rate * 10): KneeStep {
  return { offeredRate: rate, sent, errors, throughput, endToEnd: { p99 } };
}

test('when a step misses the p99 target, then the knee is the rate before it', () => {
  const decision = kneeOf([step(20, 100), step(40, 300), step(80, 1234), step(160, 100)], 500);
  assert.deepEqual(decision, { kneeRate: 40, kneeReason: 'p99 1234 ms > 500 ms at 80/s', failedStep: 2 });
});

test('when every step meets the target, then the knee is the highest rate', () => {
  assert.deepEqual(kneeOf([step(40, 100), step(80, 200), step(160, 499)], 500), {
    kneeRate: 160,
    kneeReason: 'every step met the target (highest 160/s)',
    failedStep: null,
  });
  assert.deepEqual(kneeOf([], 500), { kneeRate: null, kneeReason: 'no step ran', failedStep: null });
});

test('when the first step already misses, then there is no knee', () => {
  const decision = kneeOf([step(10, 600)], 500);
  assert.equal(decision.kneeRate, null);
  assert.equal(decision.failedStep, 0);
});

test('when errors pass the ratio or throughput falls under 90 % of the offered rate, then the step fails', () => {
  // Exactly 1 % errors and exactly 90 % throughput still pass.
  assert.equal(kneeOf([step(100, 10, 10, 90, 1000)], 500).failedStep, null);
  assert.deepEqual(kneeOf([step(50, 10), step(100, 10, 25, 100, 1000)], 500), {
    kneeRate: 50,
    kneeReason: 'error ratio 2.5% > 1% at 100/s',
    failedStep: 1,
  });
  assert.equal(kneeOf([step(100, 10, 25, 100, 1000)], 500, 0.05).failedStep, null);
  assert.equal(
    kneeOf([step(12.5, 10, 0, 11)], 500).kneeReason,
    'throughput 11/s < 90% of the offered rate at 12.5/s',
  );
  assert.equal(
    kneeOf([step(100, 800, 500, 30, 1000)], 500).kneeReason,
    'p99 800 ms > 500 ms and error ratio 50% > 1% and throughput 30/s < 90% of the offered rate at 100/s',
  );
  assert.throws(() => kneeOf([{ ...step(1, 1), offeredRate: null }], 500), /open-model/);
});

test('when stepping, then the rates run in order and stop after the first miss', async () => {
  const ran: number[] = [];
  const result = await runStepped({
    rates: [10, 20, 40, 80, 160],
    targetP99Ms: 500,
    runStep: async (rate) => {
      ran.push(rate);
      return step(rate, rate >= 40 ? 900 : 100);
    },
  });
  assert.deepEqual(ran, [10, 20, 40]);
  assert.deepEqual(
    result.steps.map((s) => s.offeredRate),
    [10, 20, 40],
  );
  assert.equal(result.kneeRate, 20);
  assert.equal(result.kneeReason, 'p99 900 ms > 500 ms at 40/s');

  const lenient = await runStepped({
    rates: [10, 20],
    targetP99Ms: 500,
    maxErrorRatio: 0.5,
    runStep: async (rate) => step(rate, 100, rate * 2),
  });
  assert.equal(lenient.steps.length, 2);
  assert.equal(lenient.kneeRate, 20);
});
