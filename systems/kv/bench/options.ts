/** Command-line options of `npm run bench:kv` (pure parsing, no I/O). */
import {
  COMMON_OPTIONS,
  LOG_LEVELS,
  parseCommandLine,
  positiveInteger,
  positiveIntegerList,
  valueOption,
  type CommandLineOptions,
  type CommonBenchOptions,
} from '@dslab/bench-kit';

/** durationS: seconds per measured autocannon run; logLevel: of kv-api and kv-consumer. */
export interface KvBenchOptions extends CommonBenchOptions {
  /** Keep-alive connections of each autocannon run (hello-world, GET cache hit, PUT). */
  connections: number[];
  /** Requests redis-benchmark sends (its -n). */
  redisRequests: number;
  /** Clients redis-benchmark uses (its -c). */
  redisClients: number;
  /** Messages queued (consumer stopped) for the apply-rate phase. */
  messages: number;
  /** Size of each PUT's value in bytes (ASCII). */
  valueBytes: number;
}

export const HELP = `npm run bench:kv -- [options]

  --quick             smoke run (~20 s): 1 s runs, 10 connections, 300 messages, 20k redis-benchmark requests
  --connections 10,50 keep-alive connections per autocannon run (full 10,50; quick 10)
  --duration S        seconds per measured autocannon run (full 5, quick 1)
  --warmup S          unmeasured seconds on each HTTP target first (full 1, quick 0.3)
  --redis-requests N  redis-benchmark -n (full 200000, quick 20000)
  --redis-clients N   redis-benchmark -c (50)
  --messages N        messages queued for the consumer's apply rate (full 5000, quick 300)
  --value-bytes N     size of each PUT's value (100)
  --log-level L       LOG_LEVEL of kv-api and kv-consumer: ${LOG_LEVELS.join(', ')} (warn)
  --out DIR           output folder (docs/benchmarks)
  --help

Engines come from DATABASE_URL, REDIS_URL and AMQP_URL (development defaults: the local servers).`;

const OPTIONS: CommandLineOptions<KvBenchOptions> = {
  ...COMMON_OPTIONS,
  '--connections': valueOption('connections', positiveIntegerList),
  '--redis-requests': valueOption('redisRequests', positiveInteger),
  '--redis-clients': valueOption('redisClients', positiveInteger),
  '--messages': valueOption('messages', positiveInteger),
  '--value-bytes': valueOption('valueBytes', positiveInteger),
};

/** Parses argv (without node and the script). Throws on an unknown or bad option. */
export function parseOptions(argv: readonly string[]): KvBenchOptions {
  const quick = argv.includes('--quick');
  return parseCommandLine(
    argv,
    {
      quick,
      connections: quick ? [10] : [10, 50],
      durationS: quick ? 1 : 5,
      warmupS: quick ? 0.3 : 1,
      redisRequests: quick ? 20_000 : 200_000,
      redisClients: 50,
      messages: quick ? 300 : 5_000,
      valueBytes: 100,
      logLevel: 'warn',
      outDir: 'docs/benchmarks',
    },
    OPTIONS,
  );
}
