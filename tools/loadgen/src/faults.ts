/**
 * The fault scheduler of a fault phase: it kills (SIGKILL, then restart) or freezes (SIGSTOP, then
 * SIGCONT) every process of one checkout service at a chosen moment of the phase, and records
 * when it struck and when the service was back (results.ts FaultEvent), so the report can lay the
 * faults over the phase's timeline.
 *
 * A moment is a time since the phase's first send (`@10s`), a time drawn from the run's seed
 * (`@random(5s..15s)`: the same seed draws the same time for every transport, so they meet the
 * same fault), or a point in the checkout's own progress (`@payments=100`: right after the
 * phase's 100th payment), which lands the fault in the middle of sagas whatever the throughput.
 *
 * The scheduler knows processes only through `FaultTarget`; the system under test (topology.ts)
 * provides the real ones, the tests small stand-ins.
 */
import { CHECKOUT_SERVICES, type CheckoutService } from '@dslab/checkout-kit';
import { seededRandom } from '@dslab/random';
import type { FaultEvent } from './results.js';

export const FAULT_ACTIONS = ['kill', 'pause'] as const;
export type FaultAction = (typeof FAULT_ACTIONS)[number];

/** The checkout's progress counters a fault can wait for (cumulative; see startFaultScheduler). */
export const FAULT_COUNTERS = ['payments', 'orders', 'shipments'] as const;
export type FaultCounter = (typeof FAULT_COUNTERS)[number];

/** When a fault strikes. Times are seconds since the phase's first send. */
export type FaultTrigger =
  | { readonly kind: 'time'; readonly atS: number }
  /** A time drawn from the seed, uniform in [fromS, toS). */
  | { readonly kind: 'random'; readonly fromS: number; readonly toS: number }
  /** As soon as the counter grew by `n` since the scheduler started. */
  | { readonly kind: 'after'; readonly counter: FaultCounter; readonly n: number };

export interface FaultSpec {
  /** The text it was parsed from (FaultEvent.spec). */
  readonly text: string;
  readonly action: FaultAction;
  readonly service: CheckoutService;
  readonly trigger: FaultTrigger;
  /** How long the service stays down (kill) or frozen (pause). */
  readonly durationS: number;
}

/** Extra latency on one hop (`--latency pagamentos=100ms`): see topology.ts hopLatency. */
export interface HopLatency {
  readonly service: CheckoutService;
  readonly delayMs: number;
}

const FAULT_FORMAT =
  'expected <kill|pause>:<service>@<when>+<duration>, where <when> is a time (10s), random(5s..15s) ' +
  'or <payments|orders|shipments>=<n>; e.g. kill:pagamentos@10s+5s, pause:estoque@payments=100+3s';
const DURATION_FORMAT = 'a number with ms or s, e.g. 500ms, 5s, 1.5s';
const DURATION = /^(\d+(?:\.\d+)?|\.\d+)(ms|s)$/;

/**
 * A duration in milliseconds from `500ms`, `5s`, `1.5s` (no other units, no sign: a bare number
 * is refused rather than guessed as seconds or milliseconds). Throws with what was wrong.
 */
export function parseDurationMs(text: string): number {
  const match = DURATION.exec(text.trim());
  if (match === null) {
    const hint = /^\d+(\.\d+)?$/.test(text.trim()) ? ' (it needs a unit)' : '';
    throw new Error(`"${text}" is not a duration${hint}: write ${DURATION_FORMAT}`);
  }
  const value = Number(match[1]);
  return match[2] === 'ms' ? value : value * 1000;
}

function isService(text: string): text is CheckoutService {
  return (CHECKOUT_SERVICES as readonly string[]).includes(text);
}

function parseService(text: string): CheckoutService {
  if (!isService(text)) {
    throw new Error(`unknown service "${text}" (one of ${CHECKOUT_SERVICES.join(', ')})`);
  }
  return text;
}

function parseTrigger(text: string): FaultTrigger {
  const random = /^random\((.*)\)$/.exec(text);
  if (random !== null) {
    const bounds = (random[1] ?? '').split('..');
    if (bounds.length !== 2)
      throw new Error(`"${text}" must read random(<from>..<to>), e.g. random(5s..15s)`);
    const [fromS, toS] = bounds.map((bound) => parseDurationMs(bound) / 1000) as [number, number];
    if (!(fromS < toS)) throw new Error(`in "${text}" the start must come before the end`);
    return { kind: 'random', fromS, toS };
  }
  const equals = text.indexOf('=');
  if (equals >= 0) {
    const counter = text.slice(0, equals).trim();
    const count = text.slice(equals + 1).trim();
    if (!(FAULT_COUNTERS as readonly string[]).includes(counter)) {
      throw new Error(`unknown counter "${counter}" (one of ${FAULT_COUNTERS.join(', ')})`);
    }
    if (!/^\d+$/.test(count) || Number(count) < 1) {
      throw new Error(`in "${text}" the count must be a whole number ≥ 1 (for the phase's start, write @0s)`);
    }
    return { kind: 'after', counter: counter as FaultCounter, n: Number(count) };
  }
  return { kind: 'time', atS: parseDurationMs(text) / 1000 };
}

/**
 * A `--fault` scenario: `kill:pagamentos@10s+5s` (kill at 10 s, restart 5 s later),
 * `pause:estoque@payments=100+3s` (SIGSTOP right after the phase's 100th payment, SIGCONT 3 s
 * later), `kill:fiscal@random(5s..15s)+4s` (at a time drawn from the seed in [5 s, 15 s)).
 * Throws an Error that quotes the text, says what was wrong and shows the format.
 */
export function parseFault(text: string): FaultSpec {
  const trimmed = text.trim();
  try {
    const colon = trimmed.indexOf(':');
    if (colon < 0) throw new Error('no ":" after the action');
    const action = trimmed.slice(0, colon).trim();
    if (!(FAULT_ACTIONS as readonly string[]).includes(action)) {
      throw new Error(`unknown action "${action}" (one of ${FAULT_ACTIONS.join(', ')})`);
    }
    const at = trimmed.indexOf('@', colon);
    if (at < 0) throw new Error('no "@<when>" after the service');
    const service = parseService(trimmed.slice(colon + 1, at).trim());
    // The last "+": no trigger contains one, and a duration never does.
    const plus = trimmed.lastIndexOf('+');
    if (plus < at) throw new Error('no "+<duration>" at the end (how long the service stays down or frozen)');
    const trigger = parseTrigger(trimmed.slice(at + 1, plus).trim());
    const durationS = parseDurationMs(trimmed.slice(plus + 1)) / 1000;
    return { text: trimmed, action: action as FaultAction, service, trigger, durationS };
  } catch (error) {
    throw new Error(`bad fault "${text}": ${messageOf(error)}; ${FAULT_FORMAT}`, { cause: error });
  }
}

/** A `--latency` setting: `pagamentos=100ms` (every chunk to and from that service waits 100 ms). */
export function parseLatency(text: string): HopLatency {
  const trimmed = text.trim();
  try {
    const equals = trimmed.indexOf('=');
    if (equals < 0) throw new Error('no "="');
    const service = parseService(trimmed.slice(0, equals).trim());
    return { service, delayMs: parseDurationMs(trimmed.slice(equals + 1)) };
  } catch (error) {
    throw new Error(
      `bad latency "${text}": ${messageOf(error)}; expected <service>=<delay>, e.g. pagamentos=100ms`,
      {
        cause: error,
      },
    );
  }
}

// The fault times get a stream of their own, so they are not the same draws as the payment
// simulator's (PAGAMENTO_SEED is the same seed).
const FAULT_STREAM = 0x0fa0_17ed;

/**
 * When each fault strikes, in seconds since the phase's first send: its time, the time drawn
 * for it, or null for a counter trigger. Pure: one seeded stream drawn in the specs' order, so
 * the same seed and specs give the same times on every transport.
 */
export function plannedFaultTimes(specs: readonly FaultSpec[], seed: number): (number | null)[] {
  const random = seededRandom(seed ^ FAULT_STREAM);
  return specs.map(({ trigger }) => {
    switch (trigger.kind) {
      case 'time':
        return trigger.atS;
      case 'random':
        return trigger.fromS + random() * (trigger.toS - trigger.fromS);
      case 'after':
        return null;
    }
  });
}

/** One process of the system under test, as the scheduler drives it (topology.ts SutProcess fits). */
export interface FaultProcess {
  readonly name: string;
  /** SIGKILL, resolved once it exited. */
  kill(): Promise<void>;
  /** Start again (same settings), resolved once it is healthy. */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT. */
  pause(): void;
  resume(): void;
}

export interface FaultTarget {
  /** Every process that runs the service (async: its HTTP process and/or its worker). */
  processesOf(service: CheckoutService): readonly FaultProcess[];
}

export type FaultCounters = Readonly<Record<FaultCounter, () => Promise<number>>>;

export interface FaultSchedulerOptions {
  readonly specs: readonly FaultSpec[];
  readonly seed: number;
  readonly target: FaultTarget;
  /**
   * Cumulative counts (e.g. rows in the payments table). Each one a trigger needs is read at start
   * as its baseline, so start the scheduler with the phase; a trigger `payments=100` fires when
   * the count is 100 above its baseline.
   */
  readonly counters: FaultCounters;
  /** performance.now() of the phase's first send: every time is measured from it. */
  readonly startedAt: number;
  /** How often the counters are read (default 20 ms). */
  readonly pollMs?: number;
  readonly log?: (line: string) => void;
}

export interface FaultScheduler {
  /**
   * Ends the schedule: a fault that has not fired will not (its event says why), a service still
   * down or frozen is restored now rather than at its time, and the result waits for every
   * restore. One event per spec, in the specs' order. Calling it again returns the same result.
   */
  stop(): Promise<FaultEvent[]>;
}

interface Slot {
  readonly spec: FaultSpec;
  readonly plannedS: number | null;
  processes: string[];
  firedAtS: number | null;
  restoredAtS: number | null;
  observed?: { readonly counter: string; readonly value: number };
  readonly problems: string[];
}

/** Starts the schedule at once; see FaultScheduler.stop for the end. */
export function startFaultScheduler(options: FaultSchedulerOptions): FaultScheduler {
  const pollMs = options.pollMs ?? 20;
  if (!(pollMs > 0)) throw new RangeError(`pollMs must be > 0 (got ${pollMs})`);
  const stopping = new AbortController();
  const signal = stopping.signal;
  const nowS = () => (performance.now() - options.startedAt) / 1000;
  const log = options.log ?? (() => undefined);
  const planned = plannedFaultTimes(options.specs, options.seed);
  const slots: Slot[] = options.specs.map((spec, index) => ({
    spec,
    plannedS: planned[index] ?? null,
    processes: [],
    firedAtS: null,
    restoredAtS: null,
    problems: [],
  }));

  const counterWatch = watchCounters(slots, options.counters, pollMs, signal, log);
  const runs = slots.map(async (slot) => {
    const fired = await (slot.plannedS === null ? counterWatch.reached(slot) : sleepUntil(slot.plannedS));
    if (!fired) {
      slot.problems.push(notFiredBecause(slot, counterWatch.lastSeen(slot), nowS()));
      return;
    }
    await strike(slot);
  });

  /** Waits until `atS` (true), or until stop (false). Never fires early: timers may wake a bit before. */
  async function sleepUntil(atS: number): Promise<boolean> {
    while (!signal.aborted) {
      const remainingMs = (atS - nowS()) * 1000;
      if (remainingMs <= 0) return true;
      await sleep(Math.max(1, Math.ceil(remainingMs)), signal);
    }
    return false;
  }

  async function strike(slot: Slot): Promise<void> {
    const { spec } = slot;
    const processes = options.target.processesOf(spec.service);
    if (processes.length === 0) {
      slot.problems.push(`no process runs ${spec.service}`);
      return;
    }
    slot.processes = processes.map((process) => process.name);
    const firedAtS = nowS();
    slot.firedAtS = round(firedAtS);
    const hit = spec.action === 'kill' ? await killAll(slot, processes) : pauseAll(slot, processes);
    log(`fault ${spec.text}: ${spec.action} ${slot.processes.join(', ')} at ${slot.firedAtS.toFixed(3)} s`);
    if (hit.length === 0) return;
    // Restored at its time, or at once when the phase ends first (stop aborts the sleep).
    await sleepUntil(firedAtS + spec.durationS);
    const early = signal.aborted ? ' (early: the phase ended)' : '';
    const restored = spec.action === 'kill' ? await restartAll(slot, hit) : resumeAll(slot, hit);
    if (restored && hit.length === processes.length) slot.restoredAtS = round(nowS());
    log(
      `fault ${spec.text}: ` +
        (slot.restoredAtS === null ? 'not restored' : `restored at ${slot.restoredAtS.toFixed(3)} s${early}`),
    );
  }

  let result: Promise<FaultEvent[]> | undefined;
  return {
    stop() {
      result ??= (async () => {
        stopping.abort();
        await Promise.all(runs);
        return slots.map(eventOf);
      })();
      return result;
    },
  };
}

/** Kills every process at once (a service's HTTP process and its worker die together); the ones it killed. */
async function killAll(slot: Slot, processes: readonly FaultProcess[]): Promise<FaultProcess[]> {
  const settled = await Promise.allSettled(processes.map(async (process) => process.kill()));
  return processes.filter((process, index) => {
    const outcome = settled[index];
    if (outcome?.status === 'rejected')
      slot.problems.push(`kill ${process.name} failed: ${messageOf(outcome.reason)}`);
    return outcome?.status === 'fulfilled';
  });
}

/** True when every one answered /health again. */
async function restartAll(slot: Slot, processes: readonly FaultProcess[]): Promise<boolean> {
  const settled = await Promise.allSettled(processes.map(async (process) => process.restart()));
  settled.forEach((outcome, index) => {
    if (outcome.status === 'rejected') {
      slot.problems.push(`restart ${processes[index]?.name ?? '?'} failed: ${messageOf(outcome.reason)}`);
    }
  });
  return settled.every((outcome) => outcome.status === 'fulfilled');
}

function pauseAll(slot: Slot, processes: readonly FaultProcess[]): FaultProcess[] {
  return processes.filter((process) => attempt(slot, `pause ${process.name}`, () => process.pause()));
}

function resumeAll(slot: Slot, processes: readonly FaultProcess[]): boolean {
  return processes
    .map((process) => attempt(slot, `resume ${process.name}`, () => process.resume()))
    .every(Boolean);
}

function attempt(slot: Slot, what: string, action: () => void): boolean {
  try {
    action();
    return true;
  } catch (error) {
    slot.problems.push(`${what} failed: ${messageOf(error)}`);
    return false;
  }
}

interface CounterWatch {
  /** Resolves true once the slot's counter reached its count, false when the schedule stops first. */
  reached(slot: Slot): Promise<boolean>;
  /** The counter's growth since its baseline at the last read (undefined before a baseline). */
  lastSeen(slot: Slot): number | undefined;
}

/**
 * One poll loop for every counter trigger: each counter a trigger needs is read once per round
 * (the first successful read is its baseline); a trigger fires in the round its counter reached
 * baseline + n, and records the growth it saw.
 */
function watchCounters(
  slots: readonly Slot[],
  counters: FaultCounters,
  pollMs: number,
  signal: AbortSignal,
  log: (line: string) => void,
): CounterWatch {
  const waiting = new Map<Slot, (fired: boolean) => void>();
  const fired = new Map<Slot, Promise<boolean>>();
  for (const slot of slots) {
    if (slot.spec.trigger.kind !== 'after') continue;
    fired.set(slot, new Promise<boolean>((resolve) => waiting.set(slot, resolve)));
  }
  const baselines = new Map<FaultCounter, number>();
  const growth = new Map<FaultCounter, number>();
  const failures = new Map<FaultCounter, string>();
  const counterOf = (slot: Slot) =>
    slot.spec.trigger.kind === 'after' ? slot.spec.trigger.counter : undefined;

  // A function, not the property: the signal changes while the loop awaits.
  const stopped = () => signal.aborted;

  async function poll(): Promise<void> {
    while (waiting.size > 0 && !stopped()) {
      const needed = [...new Set([...waiting.keys()].map(counterOf))].filter((c) => c !== undefined);
      // Through .then so a counter that throws instead of rejecting is a failed read too.
      const reads = await Promise.allSettled(
        needed.map((counter) => Promise.resolve().then(counters[counter])),
      );
      if (stopped()) break;
      needed.forEach((counter, index) => {
        const read = reads[index];
        if (read?.status !== 'fulfilled') {
          const message = messageOf(read?.reason);
          if (failures.get(counter) !== message)
            log(`fault counter ${counter} could not be read: ${message}`);
          failures.set(counter, message);
          return;
        }
        failures.delete(counter);
        const baseline = baselines.get(counter);
        if (baseline === undefined) baselines.set(counter, read.value);
        else growth.set(counter, read.value - baseline);
      });
      for (const [slot, resolve] of waiting) {
        const { trigger } = slot.spec;
        if (trigger.kind !== 'after') continue;
        const value = growth.get(trigger.counter);
        if (value === undefined || value < trigger.n) continue;
        slot.observed = { counter: trigger.counter, value };
        waiting.delete(slot);
        resolve(true);
      }
      if (waiting.size > 0) await sleep(pollMs, signal);
    }
    giveUp();
  }

  // Stop does not wait for a read in flight (a stuck query must not hold the restores back).
  function giveUp(): void {
    for (const resolve of waiting.values()) resolve(false);
    waiting.clear();
  }
  signal.addEventListener('abort', giveUp, { once: true });

  void poll().catch((error: unknown) => {
    log(`fault counters: the poll loop failed: ${messageOf(error)}`);
    giveUp();
  });
  return {
    reached: (slot) => fired.get(slot) ?? Promise.resolve(false),
    lastSeen: (slot) => {
      const counter = counterOf(slot);
      if (counter === undefined) return undefined;
      return growth.get(counter) ?? (baselines.has(counter) ? 0 : undefined);
    },
  };
}

function notFiredBecause(slot: Slot, seen: number | undefined, stoppedAtS: number): string {
  const { trigger } = slot.spec;
  const stopped = `the phase ended (at ${stoppedAtS.toFixed(1)} s)`;
  if (trigger.kind !== 'after') {
    return `${stopped} before its time (${(slot.plannedS ?? 0).toFixed(3)} s)`;
  }
  const saw = seen === undefined ? `${trigger.counter} was never read` : `${trigger.counter} grew by ${seen}`;
  return `${stopped} before ${trigger.counter} grew by ${trigger.n} (${saw})`;
}

function eventOf(slot: Slot): FaultEvent {
  return {
    spec: slot.spec.text,
    action: slot.spec.action,
    service: slot.spec.service,
    processes: slot.processes,
    firedAtS: slot.firedAtS,
    ...(slot.observed === undefined ? {} : { observed: slot.observed }),
    restoredAtS: slot.restoredAtS,
    ...(slot.problems.length === 0 ? {} : { problem: slot.problems.join('; ') }),
  };
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Seconds to the millisecond: the results file stays readable. */
function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
