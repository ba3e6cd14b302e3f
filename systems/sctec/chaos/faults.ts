/**
 * The fault scheduler of the chaos run. In turn it:
 * - SIGKILLs a coordinator and restarts it (its leases live on in the shared store);
 * - SIGKILLs a scheduler mid-request and restarts it (open transactions roll back);
 * - SIGSTOPs a lock holder for longer than its lease, then lets it continue, at one of two
 *   moments in turn (see PauseMoment): right after the grant, before it touched the database,
 *   or inside its write window, after its conflict check and before its insert. Either way it
 *   wakes up holding a lease that is gone; the fencing token and the database constraints must
 *   stop it from double-booking.
 * A member is never the target of two faults at once, and at least one member of each kind
 * stays up, so the system as a whole stays available.
 */
import type { ClusterMember } from '../cluster/topology.js';

export type FaultKind = 'kill-coordinator' | 'kill-scheduler' | 'pause-scheduler';

/**
 * Where a frozen lock holder stands. `after-grant`: it logged "Lock adquirido com sucesso" and
 * is frozen before its fence and conflict check, so on waking it meets the newer holder's fence
 * (or booking). `in-write-window`: it logged "Iniciando verificação de conflito no BD" and is
 * frozen a moment later, inside the widened window after the check and before the insert, so on
 * waking it only writes — the case that double-books when fence and constraints are off.
 */
export type PauseMoment = 'after-grant' | 'in-write-window';

const PAUSE_TRIGGERS: Record<PauseMoment, { readonly line: RegExp; readonly thenWaitMs: number }> = {
  'after-grant': { line: /Lock adquirido com sucesso/, thenWaitMs: 0 },
  // The check is one indexed query (a millisecond, tens of ms on a loaded machine); the window
  // after it lasts DEMO_DELAY_BEFORE_SAVE_MS (800 ms in the chaos run), so 150 ms lands inside it even when
  // this process reacts late.
  'in-write-window': { line: /Iniciando verificação de conflito no BD/, thenWaitMs: 150 },
};

export interface FaultRecord {
  readonly kind: FaultKind;
  readonly member: string;
  /** For pause-scheduler: where the holder was frozen. */
  readonly moment?: PauseMoment;
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
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Injects faults until `signal` aborts; every member is up and running when it returns. */
export async function runFaults(options: FaultOptions): Promise<FaultRecord[]> {
  const faults: FaultRecord[] = [];
  const started = performance.now();
  const clock = () => Math.round(performance.now() - started);
  const pick = (members: readonly ClusterMember[]) =>
    members[Math.floor(options.random() * members.length)] ?? members[0];
  let turn = 0;
  let pauses = 0;
  const [minGap, maxGap] = options.gapMs;
  // A function, not the property: the signal changes while this loop awaits.
  const stopped = () => options.signal.aborted;
  while (!stopped()) {
    await sleep(minGap + options.random() * (maxGap - minGap), options.signal);
    if (stopped()) break;
    const kind = options.kinds[turn % options.kinds.length];
    turn += 1;
    if (kind === undefined) break;
    const atMs = clock();
    let moment: PauseMoment | undefined;
    let target: ClusterMember | undefined;
    if (kind === 'pause-scheduler') {
      pauses += 1;
      moment = pauses % 2 === 1 ? 'in-write-window' : 'after-grant';
      const trigger = PAUSE_TRIGGERS[moment];
      // Strike a lock holder at that moment: whichever scheduler reaches it first (at worst,
      // with no matching line within 2 s, a random one).
      target = (await firstToPrint(options.schedulers, trigger.line, 2000)) ?? pick(options.schedulers);
      if (target === undefined) continue;
      await sleep(trigger.thenWaitMs);
      target.pause();
      // Not cut short by the end of the run: the frozen holder must outlive its lease.
      await sleep(options.pauseMs);
      target.resume();
    } else {
      target = pick(kind === 'kill-coordinator' ? options.coordinators : options.schedulers);
      if (target === undefined) continue;
      await target.kill();
      await sleep(options.downMs);
      await target.restart();
    }
    const record: FaultRecord = {
      kind,
      member: target.name,
      ...(moment === undefined ? {} : { moment }),
      atMs,
      recoveredMs: clock(),
    };
    faults.push(record);
    options.onFault?.(record);
  }
  return faults;
}

/** The first member to print a line matching `pattern` within `timeoutMs`, if any. */
function firstToPrint(
  members: readonly ClusterMember[],
  pattern: RegExp,
  timeoutMs: number,
): Promise<ClusterMember | undefined> {
  return new Promise((resolve) => {
    let pending = members.length;
    if (pending === 0) resolve(undefined);
    for (const member of members) {
      void member.nextOutput(pattern, timeoutMs).then((printed) => {
        pending -= 1;
        if (printed) resolve(member);
        else if (pending === 0) resolve(undefined);
      });
    }
  });
}
