/**
 * The fault scheduler of the chaos run. In turn it:
 * - SIGKILLs a coordinator and restarts it (its leases live on in the shared store);
 * - SIGKILLs a scheduler mid-request and restarts it (open transactions roll back);
 * - SIGSTOPs a scheduler right after it was granted a lock, for longer than the lease, then
 *   lets it continue: a lock holder frozen between its conflict check and its insert wakes up
 *   holding a lease that is gone, which the fencing token (and the database constraints) must stop.
 * A member is never the target of two faults at once, and at least one member of each kind
 * stays up, so the system as a whole stays available.
 */
import type { ClusterMember } from '../cluster/topology.js';

export type FaultKind = 'kill-coordinator' | 'kill-scheduler' | 'pause-scheduler';

export interface FaultRecord {
  readonly kind: FaultKind;
  readonly member: string;
  /** When the fault began and when the member was back, in ms since the run started. */
  readonly atMs: number;
  readonly recoveredMs: number;
}

export interface FaultOptions {
  readonly coordinators: readonly ClusterMember[];
  readonly schedulers: readonly ClusterMember[];
  readonly random: () => number;
  /** Pause between faults (the gap is drawn between these bounds). */
  readonly gapMs: readonly [number, number];
  /** How long a killed member stays down before its restart. */
  readonly downMs: number;
  /** How long a stopped scheduler stays frozen (longer than the scheduler's lock lease). */
  readonly pauseMs: number;
  readonly kinds: readonly FaultKind[];
  readonly signal: AbortSignal;
  readonly onFault?: (record: FaultRecord) => void;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/** Injects faults until `signal` aborts; every member is up and running when it returns. */
export async function runFaults(options: FaultOptions): Promise<FaultRecord[]> {
  const faults: FaultRecord[] = [];
  const started = performance.now();
  const clock = () => Math.round(performance.now() - started);
  const pick = (members: readonly ClusterMember[]) =>
    members[Math.floor(options.random() * members.length)] ?? members[0];
  let turn = 0;
  const [minGap, maxGap] = options.gapMs;
  // A function, not the property: the signal changes while this loop awaits.
  const stopped = () => options.signal.aborted;
  while (!stopped()) {
    await sleep(minGap + options.random() * (maxGap - minGap), options.signal);
    if (stopped()) break;
    const kind = options.kinds[turn % options.kinds.length];
    turn += 1;
    if (kind === undefined) break;
    const target = pick(kind === 'kill-coordinator' ? options.coordinators : options.schedulers);
    if (target === undefined) continue;
    const atMs = clock();
    if (kind === 'pause-scheduler') {
      // Strike a lock holder: freeze the scheduler the moment it reports a granted lock, when
      // it is about to check and write under that lock (at worst after a short wait).
      await target.nextOutput(/Lock adquirido com sucesso/, 2000);
      target.pause();
      // Not cut short by the end of the run: the frozen holder must outlive its lease.
      await sleep(options.pauseMs);
      target.resume();
    } else {
      await target.kill();
      await sleep(options.downMs);
      await target.restart();
    }
    const record: FaultRecord = { kind, member: target.name, atMs, recoveredMs: clock() };
    faults.push(record);
    options.onFault?.(record);
  }
  return faults;
}
