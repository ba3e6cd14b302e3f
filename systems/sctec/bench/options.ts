/** Command-line options of `npm run bench:sctec` (pure parsing, no I/O). */
import {
  COMMON_OPTIONS,
  DEVELOPMENT_ENGINE_URLS,
  engineUrls,
  LOG_LEVELS,
  parseCommandLine,
  positiveInteger,
  positiveIntegerList,
  positiveNumber,
  switchOption,
  valueOption,
  type CommandLineOptions,
  type CommonBenchOptions,
} from '@dslab/bench-kit';

/** durationS: seconds per measured autocannon run; logLevel: of both services. */
export interface BenchOptions extends CommonBenchOptions {
  /** Concurrencies (keep-alive connections) of the booking, GET /time and baseline runs. */
  concurrencies: number[];
  /** Seconds per measured closed-loop run (coordinator lock+unlock pairs and its baseline). */
  loopDurationS: number;
  /** Hot-slot rounds, each on a new slot. */
  rounds: number;
  /** Simultaneous contenders per hot-slot round. */
  contenders: number;
  /** Scientists registered for the hot slot (contender i books as scientist i mod n). */
  scientists: number;
  /** Run the CPU profile phase (scheduler under --cpu-prof during a distinct-slot run). */
  profile: boolean;
  /** Seconds of the profiled distinct-slot run. */
  profileDurationS: number;
  /** Use PostgreSQL (DATABASE_URL, a fresh schema) instead of the embedded SQLite. */
  postgres: boolean;
  databaseUrl: string;
  /** Measure nothing: re-render the report from the sctec.json already in outDir. */
  reportOnly: boolean;
}

export const HELP = `npm run bench:sctec -- [options]

  --quick               ~30 s smoke run (short runs, 2 hot-slot rounds, 10 scientists, no profile)
  --profile             also profile the scheduler (--cpu-prof) during a distinct-slot run
                        (on by default in a full run; --no-profile turns it off)
  --postgres            PostgreSQL from DATABASE_URL (default ${DEVELOPMENT_ENGINE_URLS.DATABASE_URL}), fresh schema
  --concurrency 1,10,50 keep-alive connections per run
  --duration S          seconds per measured autocannon run (full 8, quick 2)
  --loop-duration S     seconds per lock+unlock / baseline closed-loop run (full 4, quick 1.5)
  --warmup S            unmeasured seconds on each target first (full 2, quick 0.5)
  --rounds N            hot-slot rounds (full 5, quick 2)
  --contenders N        contenders per hot-slot round (100)
  --scientists N        scientists registered for the hot slot (full 100, quick 10)
  --log-level L         LOG_LEVEL of both services: ${LOG_LEVELS.join(', ')} (warn)
  --out DIR             output folder (docs/benchmarks)
  --report-only         re-render sctec.md and the charts from DIR/sctec.json (no measuring)
  --help`;

const OPTIONS: CommandLineOptions<BenchOptions> = {
  ...COMMON_OPTIONS,
  '--profile': switchOption('profile', true),
  '--no-profile': switchOption('profile', false),
  '--postgres': switchOption('postgres', true),
  '--concurrency': valueOption('concurrencies', positiveIntegerList),
  '--loop-duration': valueOption('loopDurationS', positiveNumber),
  '--rounds': valueOption('rounds', positiveInteger),
  '--contenders': valueOption('contenders', positiveInteger),
  '--scientists': valueOption('scientists', positiveInteger),
  '--report-only': switchOption('reportOnly', true),
};

/**
 * Parses argv (without node and the script); `env` supplies DATABASE_URL (unset or empty: the
 * development default). Throws on a bad option.
 */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv = {}): BenchOptions {
  const quick = argv.includes('--quick');
  const options = parseCommandLine(
    argv,
    {
      quick,
      concurrencies: [1, 10, 50],
      durationS: quick ? 2 : 8,
      loopDurationS: quick ? 1.5 : 4,
      warmupS: quick ? 0.5 : 2,
      rounds: quick ? 2 : 5,
      contenders: 100,
      scientists: quick ? 10 : 100,
      profile: !quick,
      profileDurationS: quick ? 3 : 8,
      logLevel: 'warn',
      postgres: false,
      databaseUrl: engineUrls(env, ['DATABASE_URL']).urls.DATABASE_URL,
      outDir: 'docs/benchmarks',
      reportOnly: false,
    },
    OPTIONS,
    `\n\n${HELP}`,
  );
  options.profileDurationS = Math.max(options.profileDurationS, options.durationS);
  return options;
}

/** Distinct slot starts on the 5-minute grid within the booking horizon, as the seed writes them. */
export function createSlotAllocator(options: {
  nowMs: number;
  slotMs: number;
  horizonMs: number;
  /** Skip this much from now (the first slot must not start during the run). */
  leadMs?: number;
  /** Keep this much away from the horizon's far end. */
  tailMarginMs?: number;
}) {
  const { slotMs } = options;
  const first = Math.ceil((options.nowMs + (options.leadMs ?? 3_600_000)) / slotMs) * slotMs;
  const last = options.nowMs + options.horizonMs - (options.tailMarginMs ?? 86_400_000);
  let next = first;
  let used = 0;
  return {
    /** The next unused slot start, e.g. "2027-03-01T03:00:00Z". Throws when the horizon is used up. */
    next(): string {
      if (next > last) throw new Error(`no free slot left within the booking horizon (${used} used)`);
      const slot = new Date(next).toISOString().replace('.000Z', 'Z');
      next += slotMs;
      used += 1;
      return slot;
    },
    get used() {
      return used;
    },
    get remaining() {
      return Math.max(0, Math.floor((last - next) / slotMs) + 1);
    },
  };
}

export type SlotAllocator = ReturnType<typeof createSlotAllocator>;
