import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createClockSync,
  type ClockSample,
  type ClockSync,
  type ClockSyncOptions,
  type SyncResult,
} from './sync.js';
import {
  latency,
  mulberry32,
  SimulatedNetwork,
  type FailureKind,
  type Latency,
  type SimulatedNetworkOptions,
} from './test-support/simulated-network.js';

/**
 * Epoch milliseconds are ~1.8e12, where one step of a double is ~0.24 µs; the simulator's own
 * stamps are rounded to that. This is the only slack the assertions allow beyond the library's bound.
 */
const EPS = 1e-3;

interface Setup {
  readonly sim: SimulatedNetwork;
  readonly clock: ClockSync;
}

function setup(network: SimulatedNetworkOptions, options: Partial<ClockSyncOptions> = {}): Setup {
  const sim = new SimulatedNetwork(network);
  const clock = createClockSync({ ...sim.deps(), ...options });
  return { sim, clock };
}

/** Runs one batch on simulated time, returning its result and the exchanges it made. */
async function batch({ sim, clock }: Setup): Promise<{ result: SyncResult; first: number }> {
  const first = sim.exchanges.length;
  const result = await sim.time.run(clock.sync());
  return { result, first };
}

function acceptedSamples(result: SyncResult): ClockSample[] {
  return result.outcomes.flatMap((outcome) => (outcome.ok ? [outcome.sample] : []));
}

/**
 * The properties every batch must have, whatever the network did:
 * - the outcomes are the exchanges the simulator saw, failed ones exactly those that failed;
 * - the chosen sample is the first one with the minimum δ, and it is (up to resolution) the
 *   exchange with the smallest true network delay;
 * - |true offset − offset_ms| ≤ bound_ms and |now() − server clock| ≤ the bound of nowWithBound().
 */
function assertBatchProperties(
  { sim, clock }: Setup,
  result: SyncResult,
  first: number,
  resolutionMs: number,
  trueOffsetAtAnchor = sim.trueOffset,
): number {
  // Returns |error| / bound of the offset (0 when nothing was accepted), to show how tight the bound is.
  const exchanges = sim.exchanges.slice(first);
  assert.equal(result.outcomes.length, exchanges.length, 'one outcome per exchange');
  result.outcomes.forEach((outcome, i) => {
    const exchange = exchanges[i];
    assert.ok(exchange);
    if (outcome.ok) {
      assert.equal(exchange.failure, undefined, 'a failed exchange was accepted');
      assert.equal(exchange.aborted, false);
    } else if (outcome.reason === 'timeout') {
      assert.equal(exchange.aborted, true, 'a timed-out exchange is aborted through its signal');
    }
    if (exchange.failure !== undefined) assert.equal(outcome.ok, false);
  });
  const accepted = acceptedSamples(result);
  assert.equal(result.samples_ok, accepted.length);
  assert.equal(result.samples_failed, result.outcomes.length - accepted.length);
  const state = clock.state();

  if (accepted.length === 0) {
    assert.equal(result.ok, false);
    assert.equal(result.best, undefined);
    return 0;
  }
  assert.equal(result.ok, true);
  assert.ok(state.synced);

  // Minimum-delay filter, judged on the library's own measurements...
  const minDelay = Math.min(...accepted.map((s) => s.delay_ms));
  const best = result.best;
  assert.ok(best);
  assert.equal(best.delay_ms, minDelay, 'the chosen sample has the smallest δ');
  assert.equal(
    best,
    accepted.find((s) => s.delay_ms === minDelay),
  );
  assert.equal(state.delay_ms, best.delay_ms);
  assert.equal(state.offset_ms, best.offset_ms);
  assert.equal(state.last_sync_mono, best.mono_received);
  // ...and on the simulator's truth: δ measures up + down, up to resolution and drift.
  const acceptedExchanges = result.outcomes.flatMap((o, i) => (o.ok ? [exchanges[i]] : []));
  const chosen = exchanges[result.outcomes.findIndex((o) => o.ok && o.sample === best)];
  assert.ok(chosen);
  const trueMin = Math.min(...acceptedExchanges.map((e) => e?.networkDelay ?? Infinity));
  const slack = 2 * resolutionMs + 1e-3 * Math.max(...accepted.map((s) => s.delay_ms)) + EPS;
  assert.ok(
    chosen.networkDelay <= trueMin + slack,
    `chosen exchange's network delay ${chosen.networkDelay} > minimum ${trueMin} + ${slack}`,
  );

  // The interval property.
  assert.ok(state.bound_ms >= best.delay_ms / 2 + resolutionMs);
  const error = Math.abs(trueOffsetAtAnchor - state.offset_ms);
  assert.ok(
    error <= state.bound_ms + EPS,
    `|true offset ${trueOffsetAtAnchor} − offset ${state.offset_ms}| = ${error} > bound ${state.bound_ms}`,
  );
  const estimate = clock.nowWithBound();
  const nowError = Math.abs(estimate.now_ms - sim.serverNow());
  assert.ok(nowError <= estimate.bound_ms + EPS, `|now() − server| = ${nowError} > ${estimate.bound_ms}`);
  return error / state.bound_ms;
}

describe('one batch over a simulated network', () => {
  test('when both legs take the same time, then the offset is exact and the bound is δ/2 + resolution', async () => {
    // The seed's scientist in São Paulo whose computer is 2 s fast.
    const s = setup({ trueOffsetMs: -2_000, up: latency.fixed(20), down: latency.fixed(20) });
    const { result, first } = await batch(s);
    assertBatchProperties(s, result, first, 1);
    const state = s.clock.state();
    assert.ok(Math.abs(state.offset_ms - -2_000) < 1e-3, `offset ${state.offset_ms}`);
    assert.ok(Math.abs(state.delay_ms - 40) < 1e-3);
    assert.ok(state.bound_ms >= 21 && state.bound_ms < 21.1, `bound ${state.bound_ms}`);
    assert.equal(result.samples_ok, 8);
    assert.equal(result.jumped, false);
  });

  test('when the scientist clicks at 03:00:02Z on a clock 2 s fast, then the synced click time is 03:00:00Z', async () => {
    const s = setup({
      trueOffsetMs: -2_000,
      up: latency.uniform(30, 60),
      down: latency.uniform(30, 60),
      wallStartMs: Date.parse('2025-12-01T02:59:30.000Z'),
    });
    await batch(s);
    const localClick = Date.parse('2025-12-01T03:00:02.000Z');
    await s.sim.time.advanceBy(localClick - s.sim.wallNow());
    const click = s.clock.nowWithBound();
    assert.ok(Math.abs(click.now_ms - Date.parse('2025-12-01T03:00:00.000Z')) <= click.bound_ms);
    assert.ok(click.bound_ms < 62, `bound ${click.bound_ms}`);
  });

  test('when the legs are symmetric but jittery, then the error stays within the jitter and the bound', async () => {
    for (let seed = 1; seed <= 100; seed += 1) {
      const s = setup({
        seed,
        trueOffsetMs: 12_345.678,
        up: latency.uniform(10, 30),
        down: latency.uniform(10, 30),
      });
      const { result, first } = await batch(s);
      assertBatchProperties(s, result, first, 1);
      assert.ok(Math.abs(s.clock.state().offset_ms - 12_345.678) <= 10, `seed ${seed}`);
    }
  });

  test('when the answer takes 200 ms and the request 5 ms, then the error is nearly δ/2 but still within the bound', async () => {
    const s = setup({ trueOffsetMs: 750, up: latency.fixed(5), down: latency.fixed(200) });
    const { result, first } = await batch(s);
    assertBatchProperties(s, result, first, 1);
    const state = s.clock.state();
    // θ = offset + (up − down)/2 lands 97.5 ms off: asymmetry cannot be seen from the four stamps...
    assert.ok(Math.abs(state.offset_ms - (750 - 97.5)) < 1e-3, `offset ${state.offset_ms}`);
    // ...which is why the bound is δ/2 and not less.
    assert.ok(state.bound_ms >= 102.5 + 1 && state.bound_ms < 104, `bound ${state.bound_ms}`);
  });

  test('when the request takes 200 ms and the answer 5 ms, then the error has the other sign and is still bounded', async () => {
    for (let seed = 1; seed <= 50; seed += 1) {
      const s = setup({
        seed,
        trueOffsetMs: -3.6e6,
        up: latency.uniform(150, 250),
        down: latency.uniform(1, 10),
      });
      const { result, first } = await batch(s);
      assertBatchProperties(s, result, first, 1);
      assert.ok(s.clock.state().offset_ms > -3.6e6 + 60, 'θ is biased by the asymmetry');
    }
  });

  test('when one sample crosses a quiet network and the rest a congested one, then that sample is chosen', async () => {
    // Called once for the up leg and once for the down leg of each exchange.
    let calls = 0;
    const quietFourth: Latency = () => (Math.floor(calls++ / 2) === 3 ? 2 : 80);
    const s = setup({ trueOffsetMs: 42, up: quietFourth, down: quietFourth });
    const { result, first } = await batch(s);
    assertBatchProperties(s, result, first, 1);
    assert.equal(
      result.outcomes.findIndex((o) => o.ok && o.sample === result.best),
      3,
    );
    assert.ok(Math.abs(s.clock.state().delay_ms - 4) < 1e-3);
  });

  test('when clocks are coarse and the round trip is sub-millisecond, then slightly negative δ is kept and the bound holds', async () => {
    let sawNegative = false;
    for (let seed = 1; seed <= 300; seed += 1) {
      const s = setup(
        {
          seed,
          trueOffsetMs: 0.37 + seed,
          up: latency.uniform(0.05, 0.3),
          down: latency.uniform(0.05, 0.3),
          processing: latency.uniform(0, 0.9),
          serverResolutionMs: 1,
          monoResolutionMs: 0.1,
        },
        { resolutionMs: 1.1 },
      );
      const { result, first } = await batch(s);
      assertBatchProperties(s, result, first, 1.1);
      if (acceptedSamples(result).some((x) => x.delay_ms < 0)) sawNegative = true;
      assert.equal(result.samples_ok, 8, 'no consistent sample is rejected');
    }
    assert.ok(sawNegative, 'the scenario produces negative measured delays');
  });
});

interface RandomScenario {
  readonly network: SimulatedNetworkOptions;
  readonly options: Partial<ClockSyncOptions>;
  readonly resolutionMs: number;
  readonly batches: number;
  /** Per gap between batches: server jump, client wall step, idle time. */
  readonly gaps: readonly { jump: number; wallStep: number; idleMs: number }[];
}

function randomLatency(rng: () => number): Latency {
  const floor = [0.2, 2, 20, 80, 250][Math.floor(rng() * 5)] ?? 1;
  const scale = rng() * floor * 2 + rng() * 10;
  switch (Math.floor(rng() * 4)) {
    case 0:
      return latency.fixed(floor);
    case 1:
      return latency.uniform(floor, floor + scale);
    case 2:
      return latency.exponential(floor, scale);
    default:
      return latency.spiky(floor, scale, 0.2, 2_000);
  }
}

function pick<T>(rng: () => number, values: readonly T[]): T {
  const value = values[Math.floor(rng() * values.length)];
  if (value === undefined) throw new Error('pick from an empty list');
  return value;
}

/** A random network: offsets from milliseconds to a month, independent legs, loss, coarse clocks, drift. */
function randomScenario(seed: number): RandomScenario {
  const rng = mulberry32(seed * 7919);
  const magnitude = pick(rng, [5, 2_000, 3.6e6, 30 * 86_400_000]);
  const monoResolutionMs = pick(rng, [0, 0, 0.005, 0.1, 1]);
  const serverResolutionMs = pick(rng, [0, 0, 0.001, 1]);
  const resolutionMs = Math.max(1e-3, monoResolutionMs + serverResolutionMs);
  const failureSets: FailureKind[][] = [
    ['refused'],
    ['lost-request', 'lost-response'],
    ['slow-reject', 'refused'],
  ];
  const batches = 1 + Math.floor(rng() * 3);
  const gaps = Array.from({ length: batches - 1 }, () => ({
    jump: rng() < 0.3 ? (rng() * 2 - 1) * pick(rng, [50, 5_000, 86_400_000]) : 0,
    wallStep: rng() < 0.3 ? (rng() * 2 - 1) * pick(rng, [1, 60_000, 3.6e6]) : 0,
    idleMs: pick(rng, [0, 1_000, 60_000, 600_000]),
  }));
  return {
    network: {
      seed,
      trueOffsetMs: (rng() * 2 - 1) * magnitude,
      up: randomLatency(rng),
      down: randomLatency(rng),
      processing: pick(rng, [latency.fixed(0), latency.uniform(0, 2), latency.exponential(0.1, 20)]),
      loss: pick(rng, [0, 0, 0.1, 0.3, 0.6, 1]),
      failures: pick(rng, failureSets),
      wallStartMs: 1_700_000_000_000 + rng() * 1e11,
      monoStartMs: rng() * 1e7,
      monoResolutionMs,
      serverResolutionMs,
      monoDriftPpm: pick(rng, [0, 0, 30, -30, 90, -90]),
    },
    options: {
      samples: 1 + Math.floor(rng() * 12),
      spacingMs: pick(rng, [0, 10, 50, 200]),
      timeoutMs: pick(rng, [500, 5_000]),
      resolutionMs,
    },
    resolutionMs,
    batches,
    gaps,
  };
}

describe('property: over many seeded random networks', () => {
  test('when 500 random networks are synced, then every estimate lies within its bound and every jump is reported', async () => {
    const seen = { synced: 0, unsynced: 0, failedSamples: 0, jumpsReported: 0, quietGaps: 0, tightest: 0 };
    for (let seed = 1; seed <= 500; seed += 1) {
      const scenario = randomScenario(seed);
      const s = setup(scenario.network, scenario.options);
      const context = `seed ${seed}`;
      let previous: { bound: number; anchorMono: number } | undefined;
      for (let b = 0; b < scenario.batches; b += 1) {
        const gap = b > 0 ? scenario.gaps[b - 1] : undefined;
        if (gap) {
          s.sim.jumpServer(gap.jump);
          const before = s.clock.now();
          s.sim.stepClientWall(gap.wallStep);
          assert.equal(s.clock.now(), before, `${context}: a wall step moved now()`);
          await s.sim.time.advanceBy(gap.idleMs);
        }
        const anchorMono = s.sim.monotonicNow();
        const { result, first } = await batch(s);
        try {
          const ratio = assertBatchProperties(s, result, first, scenario.resolutionMs);
          seen.tightest = Math.max(seen.tightest, ratio);
        } catch (error) {
          throw new Error(`${context}, batch ${b}: ${(error as Error).message}`, { cause: error });
        }
        seen.failedSamples += result.samples_failed;
        if (!result.ok) continue;
        const state = s.clock.state();
        if (gap && previous) {
          const drift = 100e-6 * (anchorMono - previous.anchorMono);
          const tolerance = previous.bound + state.bound_ms + drift;
          if (gap.jump === 0) {
            seen.quietGaps += 1;
            assert.equal(
              result.jumped,
              false,
              `${context}: no server jump, yet jumped (step ${result.step_ms})`,
            );
          } else if (Math.abs(gap.jump) > 2 * tolerance + EPS) {
            assert.equal(result.jumped, true, `${context}: a ${gap.jump} ms jump went unreported`);
            seen.jumpsReported += 1;
          }
        }
        previous = { bound: state.bound_ms, anchorMono };
      }
      if (s.clock.state().synced) seen.synced += 1;
      else {
        seen.unsynced += 1;
        assert.equal(s.clock.state().bound_ms, Infinity);
      }
    }
    // The generator covers the interesting cases.
    assert.ok(seen.synced > 300 && seen.unsynced > 20, JSON.stringify(seen));
    assert.ok(
      seen.failedSamples > 500 && seen.jumpsReported > 20 && seen.quietGaps > 50,
      JSON.stringify(seen),
    );
    // Some network used almost all of its bound: a bound even slightly too small would have failed.
    assert.ok(seen.tightest > 0.95, JSON.stringify(seen));
  });
});

describe('failures', () => {
  test('when half the exchanges are lost or refused, then they are counted and the rest still bound the offset', async () => {
    for (let seed = 1; seed <= 100; seed += 1) {
      const s = setup(
        {
          seed,
          trueOffsetMs: 5_000,
          up: latency.exponential(10, 20),
          down: latency.exponential(30, 5),
          loss: 0.5,
        },
        { samples: 10 },
      );
      const { result, first } = await batch(s);
      assertBatchProperties(s, result, first, 1);
      const failedInSim = s.sim.exchanges.slice(first).filter((e) => e.failure !== undefined).length;
      assert.equal(result.samples_failed, failedInSim, `seed ${seed}`);
      assert.equal(s.clock.state().samples_failed, failedInSim);
    }
  });

  test('when an answer never comes, then the sample times out, its request is aborted and the batch goes on', async () => {
    const s = setup(
      {
        trueOffsetMs: 1,
        up: latency.fixed(10),
        down: latency.fixed(10),
        loss: 1,
        failures: ['lost-response'],
      },
      { samples: 3, timeoutMs: 700 },
    );
    const started = s.sim.time.now();
    const { result } = await batch(s);
    assert.deepEqual(
      result.outcomes.map((o) => (o.ok ? 'ok' : o.reason)),
      ['timeout', 'timeout', 'timeout'],
    );
    assert.ok(s.sim.exchanges.every((e) => e.aborted));
    assert.equal(s.sim.time.now() - started, 3 * 700 + 2 * 50);
    assert.equal(s.sim.time.pending(), 0);
  });

  test('when every exchange fails, then the state is unsynced, sync() resolves and now() is the local clock', async () => {
    const s = setup({ trueOffsetMs: 999, up: latency.fixed(5), down: latency.fixed(5), loss: 1 });
    const { result } = await batch(s);
    assert.equal(result.ok, false);
    assert.equal(result.samples_failed, 8);
    const state = s.clock.state();
    assert.deepEqual(state, {
      synced: false,
      offset_ms: 0,
      bound_ms: Infinity,
      delay_ms: Infinity,
      last_sync_mono: -Infinity,
      samples_ok: 0,
      samples_failed: 8,
      jumps: 0,
    });
    assert.ok(Math.abs(s.clock.now() - s.sim.wallNow()) < EPS);
    assert.equal(s.clock.nowWithBound().bound_ms, Infinity);
  });

  test('when a synced client loses the network, then the previous estimate is kept and its bound grows with drift', async () => {
    const s = setup({ trueOffsetMs: -77, up: latency.fixed(15), down: latency.fixed(25) });
    await batch(s);
    const before = s.clock.state();
    s.sim.loss = 1;
    const { result } = await batch(s);
    assert.equal(result.ok, false);
    const after = s.clock.state();
    assert.equal(after.synced, true);
    assert.equal(after.offset_ms, before.offset_ms);
    assert.equal(after.samples_failed, 8);
    await s.sim.time.advanceBy(600_000);
    const estimate = s.clock.nowWithBound();
    assert.ok(estimate.bound_ms >= before.bound_ms + 100e-6 * 600_000 - EPS);
    assert.ok(Math.abs(estimate.now_ms - s.sim.serverNow()) <= estimate.bound_ms);
  });

  test('when the server sends t2 < t1, non-numbers or a processing time longer than the round trip, then those samples are rejected', async () => {
    const s = setup({ trueOffsetMs: 10, up: latency.fixed(10), down: latency.fixed(10) }, { samples: 4 });
    let n = 0;
    s.sim.stampOverride = (real) => {
      n += 1;
      if (n === 1) return { t1: real.t1, t2: real.t1 - 5 };
      if (n === 2) return { t1: Number.NaN, t2: real.t2 };
      if (n === 3) return { t1: real.t1 - 100, t2: real.t2 + 100 };
      return real;
    };
    const { result, first } = await batch(s);
    assert.deepEqual(
      result.outcomes.map((o) => (o.ok ? 'ok' : o.reason)),
      ['invalid', 'invalid', 'negative-delay', 'ok'],
    );
    assertBatchProperties(s, result, first, 1);
    assert.equal(s.clock.state().samples_failed, 3);
  });

  test('when fetchTime throws synchronously or resolves to garbage, then the sample fails and sync() still resolves', async () => {
    const s = setup({ trueOffsetMs: 0, up: latency.fixed(1), down: latency.fixed(1) });
    const throwing = createClockSync({
      ...s.sim.deps(),
      samples: 2,
      fetchTime: () => {
        throw new Error('boom');
      },
    });
    const r1 = await s.sim.time.run(throwing.sync());
    assert.deepEqual(
      r1.outcomes.map((o) => (o.ok ? 'ok' : `${o.reason}:${o.detail}`)),
      ['error:boom', 'error:boom'],
    );
    const garbage = createClockSync({
      ...s.sim.deps(),
      samples: 1,
      fetchTime: () => Promise.resolve(null as unknown as { t1: number; t2: number }),
    });
    const r2 = await s.sim.time.run(garbage.sync());
    assert.equal(r2.outcomes[0]?.ok, false);
    assert.equal(garbage.state().synced, false);
  });

  test('when started while the server is down, then it retries with backoff and syncs once the network heals', async () => {
    const s = setup(
      { trueOffsetMs: 321, up: latency.fixed(10), down: latency.fixed(10), loss: 1, failures: ['refused'] },
      { samples: 2, spacingMs: 0, retryIntervalMs: 1_000, resyncIntervalMs: 60_000 },
    );
    const batchStarts: number[] = [];
    s.clock.onChange(() => batchStarts.push(s.sim.time.now()));
    const first = await s.sim.time.run(s.clock.start());
    assert.equal(first.ok, false);
    await s.sim.time.advanceBy(1_000 + 40 + 2_000 + 40 + 4_000 + 40);
    assert.equal(batchStarts.length, 4);
    const gaps = batchStarts.slice(1).map((t, i) => t - (batchStarts[i] ?? 0));
    assert.deepEqual(gaps, [1_040, 2_040, 4_040]);
    s.sim.loss = 0;
    await s.sim.time.advanceBy(8_100);
    assert.equal(s.clock.state().synced, true);
    assert.ok(Math.abs(s.clock.state().offset_ms - 321) <= s.clock.state().bound_ms);
    s.clock.stop();
    assert.equal(s.sim.time.pending(), 0);
  });
});

describe('jumps and steps', () => {
  test('when the server steps its clock between batches, then the new offset is accepted and jumped is reported', async () => {
    const s = setup({ trueOffsetMs: 1_000, up: latency.uniform(5, 40), down: latency.uniform(5, 40) });
    const a = await batch(s);
    assertBatchProperties(s, a.result, a.first, 1);
    assert.equal(a.result.jumped, false, 'the first batch has nothing to jump from');
    await s.sim.time.advanceBy(60_000);
    s.sim.jumpServer(-3_600_000);
    const b = await batch(s);
    assertBatchProperties(s, b.result, b.first, 1);
    assert.equal(b.result.jumped, true);
    assert.ok(Math.abs(b.result.step_ms - -3_600_000) < 100);
    assert.equal(s.clock.state().jumps, 1);
    await s.sim.time.advanceBy(60_000);
    const c = await batch(s);
    assertBatchProperties(s, c.result, c.first, 1);
    assert.equal(c.result.jumped, false);
    assert.ok(Math.abs(c.result.step_ms) <= 2 * s.clock.state().bound_ms + 12);
  });

  test('when the server moves by less than the bounds, then it is not called a jump', async () => {
    const s = setup({ trueOffsetMs: 0, up: latency.fixed(50), down: latency.fixed(50) });
    await batch(s);
    s.sim.jumpServer(20);
    const { result, first } = await batch(s);
    assertBatchProperties(s, result, first, 1);
    assert.equal(result.jumped, false);
    assert.ok(Math.abs(result.step_ms - 20) < 1e-3);
  });

  test('when the local wall clock steps after a sync, then now() does not move and the next sync is no jump', async () => {
    const s = setup({ trueOffsetMs: 250, up: latency.uniform(5, 25), down: latency.uniform(5, 25) });
    await batch(s);
    const before = s.clock.now();
    const offsetBefore = s.clock.state().offset_ms;
    s.sim.stepClientWall(3_600_000); // an hour forward
    assert.equal(s.clock.now(), before);
    const monoBefore = s.sim.monotonicNow();
    await s.sim.time.advanceBy(1_234.5);
    assert.ok(Math.abs(s.clock.now() - before - (s.sim.monotonicNow() - monoBefore)) < EPS);
    assert.ok(Math.abs(s.clock.now() - s.sim.serverNow()) <= s.clock.nowWithBound().bound_ms);
    s.sim.stepClientWall(-7_200_000); // and two back
    const { result, first } = await batch(s);
    assertBatchProperties(s, result, first, 1);
    assert.equal(result.jumped, false);
    // offset_ms is relative to the wall clock read at the new anchor, now an hour slow.
    assert.ok(Math.abs(s.clock.state().offset_ms - (offsetBefore + 3_600_000)) < 30);
  });

  test('when the local wall clock steps in the middle of a batch, then the batch is unaffected', async () => {
    const s = setup({ trueOffsetMs: -40, up: latency.fixed(10), down: latency.fixed(30) }, { samples: 4 });
    const trueOffsetAtAnchor = s.sim.trueOffset;
    const first = s.sim.exchanges.length;
    const pending = s.clock.sync();
    await s.sim.time.advanceBy(100);
    s.sim.stepClientWall(-86_400_000);
    const result = await s.sim.time.run(pending);
    assertBatchProperties(s, result, first, 1, trueOffsetAtAnchor);
  });

  test('when the monotonic clock drifts by 90 ppm, then bounds still hold after a long idle', async () => {
    for (const ppm of [90, -90]) {
      const s = setup({
        trueOffsetMs: 10,
        up: latency.exponential(100, 50),
        down: latency.exponential(100, 50),
        monoDriftPpm: ppm,
      });
      const { result, first } = await batch(s);
      assertBatchProperties(s, result, first, 1);
      await s.sim.time.advanceBy(3_600_000);
      const estimate = s.clock.nowWithBound();
      const error = Math.abs(estimate.now_ms - s.sim.serverNow());
      assert.ok(error > 300, `drift shows: ${error}`);
      assert.ok(error <= estimate.bound_ms, `${error} > ${estimate.bound_ms}`);
    }
  });
});

describe('monotonic estimate', () => {
  test('when not yet synced, then now() is the local wall clock advanced on the monotonic clock', async () => {
    const s = setup({ trueOffsetMs: 5, up: latency.fixed(1), down: latency.fixed(1) });
    const start = s.sim.wallNow();
    assert.equal(s.clock.now(), start);
    s.sim.stepClientWall(-1_000);
    await s.sim.time.advanceBy(500);
    assert.ok(Math.abs(s.clock.now() - (start + 500)) < EPS);
    assert.equal(s.clock.state().synced, false);
  });

  test('when synced, then now() advances exactly with the monotonic clock between syncs', async () => {
    const s = setup({ trueOffsetMs: 86_400_000, up: latency.fixed(3), down: latency.fixed(4) });
    await batch(s);
    const n0 = s.clock.now();
    const m0 = s.sim.monotonicNow();
    for (const step of [0.25, 10, 1_000, 59_000]) {
      await s.sim.time.advanceBy(step);
      assert.ok(Math.abs(s.clock.now() - n0 - (s.sim.monotonicNow() - m0)) < EPS);
    }
  });
});

describe('scheduling', () => {
  test('when started, then it re-syncs every resyncIntervalMs and stop() ends it', async () => {
    const s = setup(
      { trueOffsetMs: 1, up: latency.fixed(10), down: latency.fixed(10) },
      { samples: 3, spacingMs: 50, resyncIntervalMs: 10_000 },
    );
    const seen: number[] = [];
    const unsubscribe = s.clock.onChange((state) => seen.push(state.samples_ok));
    await s.sim.time.run(s.clock.start());
    assert.deepEqual(seen, [3]);
    await s.sim.time.advanceBy(3 * (10_000 + 2 * 50 + 3 * 20.2) + 1);
    assert.deepEqual(seen, [3, 6, 9, 12]);
    unsubscribe();
    await s.sim.time.advanceBy(10_200);
    assert.equal(s.clock.state().samples_ok, 15);
    assert.deepEqual(seen, [3, 6, 9, 12]);
    s.clock.stop();
    assert.equal(s.sim.time.pending(), 0);
    await s.sim.time.advanceBy(100_000);
    assert.equal(s.clock.state().samples_ok, 15);
  });

  test('when stop() is called mid-batch, then the request in flight is aborted and the samples taken are used', async () => {
    const s = setup(
      { trueOffsetMs: 60, up: latency.fixed(30), down: latency.fixed(30) },
      { resyncIntervalMs: 1_000 },
    );
    const pending = s.clock.start();
    await s.sim.time.advanceBy(2 * 60.2 + 2 * 50 + 20);
    s.clock.stop();
    const result = await pending;
    assert.equal(result.outcomes.length, 2);
    assert.equal(result.ok, true);
    assert.equal(s.sim.exchanges.at(-1)?.aborted, true);
    assert.equal(s.sim.time.pending(), 0);
  });

  test('when sync() is called while a batch runs, then both callers share that batch', async () => {
    const s = setup({ trueOffsetMs: 3, up: latency.fixed(10), down: latency.fixed(10) });
    const a = s.clock.sync();
    const b = s.clock.sync();
    assert.equal(a, b);
    await s.sim.time.run(a);
    assert.equal(s.sim.exchanges.length, 8);
    const c = s.clock.sync();
    assert.notEqual(c, a);
    await s.sim.time.run(c);
  });

  test('when the options and the onChange option are given, then the option listener sees every batch', async () => {
    const states: boolean[] = [];
    const s = setup(
      { trueOffsetMs: 3, up: latency.fixed(10), down: latency.fixed(10) },
      { samples: 2, onChange: (state, result) => states.push(state.synced && result.ok) },
    );
    await batch(s);
    await batch(s);
    assert.deepEqual(states, [true, true]);
  });

  test('when options are out of range, then createClockSync throws a RangeError naming them', () => {
    const fetchTime = (): Promise<{ t1: number; t2: number }> => Promise.resolve({ t1: 0, t2: 0 });
    for (const bad of [
      { samples: 0 },
      { samples: 2.5 },
      { spacingMs: -1 },
      { resyncIntervalMs: 0 },
      { timeoutMs: Number.NaN },
      { resolutionMs: -0.1 },
      { maxDriftPpm: Infinity },
    ]) {
      const name = Object.keys(bad)[0] ?? '';
      assert.throws(
        () => createClockSync({ fetchTime, ...bad }),
        (error: unknown) => {
          return error instanceof RangeError && error.message.includes(name);
        },
      );
    }
  });
});
