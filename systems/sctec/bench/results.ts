/** The shape of docs/benchmarks/sctec.json: everything one run measured. */
import type { LoadResult, MachineInfo, ProcessUsage } from '@dslab/bench-kit';
import type { ProfileSummary } from './cpuprofile.js';
import type { HotSlotResult } from './scenarios.js';

export const SERVICES = ['baseline', 'servico-coordenador', 'servico-agendamento'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface MeasuredRun extends LoadResult {
  /** RSS and CPU of each process during this run. */
  usage: Partial<Record<ServiceName, ProcessUsage>>;
  /** CPU of the benchmark process itself (the load generator), percent of one core. */
  benchCpuPercent: number;
}

export interface ConnectionEvidence {
  /** Requests the coordinator served during the distinct-slot runs, by method and route. */
  coordinatorRequests: Record<string, number>;
  /** Bookings made in those runs (201s). */
  bookings: number;
  /** Most ESTABLISHED connections the scheduler held to the coordinator at one sample. */
  maxOpenConnections: number;
  /** Distinct client ports of those connections over all samples (a new port = a new connection). */
  distinctConnections: number;
}

export interface ProfileResult {
  file: string;
  concurrency: number;
  run: MeasuredRun;
  summary: ProfileSummary;
}

export interface BenchResults {
  machine: MachineInfo;
  settings: {
    quick: boolean;
    engine: 'sqlite' | 'postgres';
    logLevel: string;
    concurrencies: number[];
    durationS: number;
    loopDurationS: number;
    warmupS: number;
    rounds: number;
    contenders: number;
    scientists: number;
    notes: string[];
  };
  /** RSS of each process right after start-up, before any load (bytes). */
  idleRssBytes: Partial<Record<ServiceName, number>>;
  /** autocannon runs, by target. */
  http: { baseline: MeasuredRun[]; bookings: MeasuredRun[]; time: MeasuredRun[] };
  /** Closed loops with an undici Pool: coordinator lock+unlock pairs and the same client against the baseline. */
  loops: { baseline: MeasuredRun[]; lockPairs: MeasuredRun[] };
  hotSlot: HotSlotResult & { usage: Partial<Record<ServiceName, ProcessUsage>> };
  connections: ConnectionEvidence;
  profile?: ProfileResult | undefined;
  /** WARNING/ERROR lines each service logged during the whole run, by message. */
  warnings: Partial<Record<ServiceName, Record<string, number>>>;
  totalSeconds: number;
}
