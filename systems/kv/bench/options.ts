/** Command-line options of `npm run bench:kv` (pure parsing, no I/O). */

export interface KvBenchOptions {
  quick: boolean;
  /** Keep-alive connections of each autocannon run (hello-world, GET cache hit, PUT). */
  connections: number[];
  /** Seconds per measured autocannon run. */
  durationS: number;
  /** Unmeasured seconds of load on each HTTP target before its first measured run. */
  warmupS: number;
  /** Requests redis-benchmark sends (its -n). */
  redisRequests: number;
  /** Clients redis-benchmark uses (its -c). */
  redisClients: number;
  /** Messages queued (consumer stopped) for the apply-rate phase. */
  messages: number;
  /** Size of each PUT's value in bytes (ASCII). */
  valueBytes: number;
  /** LOG_LEVEL of kv-api and kv-consumer. */
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Where kv.json, kv.md and the chart go (relative to the repository root, or absolute). */
  outDir: string;
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
  --log-level L       LOG_LEVEL of kv-api and kv-consumer: debug, info, warn, error, silent (warn)
  --out DIR           output folder (docs/benchmarks)
  --help

Engines come from DATABASE_URL, REDIS_URL and AMQP_URL (development defaults: the local servers).`;

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

function positiveNumber(name: string, text: string | undefined): number {
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(value) || value <= 0)
    throw new Error(`${name} needs a positive number (got ${String(text)})`);
  return value;
}

function positiveInt(name: string, text: string | undefined): number {
  const value = positiveNumber(name, text);
  if (!Number.isInteger(value)) throw new Error(`${name} needs a whole number (got ${String(text)})`);
  return value;
}

/** Parses argv (without node and the script). Throws on an unknown or bad option. */
export function parseOptions(argv: readonly string[]): KvBenchOptions {
  const quick = argv.includes('--quick');
  const options: KvBenchOptions = {
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
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = () => argv[++i];
    switch (arg) {
      case '--quick':
        break;
      case '--connections': {
        const text = next();
        options.connections = (text ?? '').split(',').map((part) => positiveInt('--connections', part));
        break;
      }
      case '--duration':
        options.durationS = positiveNumber('--duration', next());
        break;
      case '--warmup':
        options.warmupS = positiveNumber('--warmup', next());
        break;
      case '--redis-requests':
        options.redisRequests = positiveInt('--redis-requests', next());
        break;
      case '--redis-clients':
        options.redisClients = positiveInt('--redis-clients', next());
        break;
      case '--messages':
        options.messages = positiveInt('--messages', next());
        break;
      case '--value-bytes':
        options.valueBytes = positiveInt('--value-bytes', next());
        break;
      case '--log-level': {
        const level = next();
        const known = LOG_LEVELS.find((l) => l === level);
        if (known === undefined)
          throw new Error(`--log-level needs one of ${LOG_LEVELS.join(', ')} (got ${String(level)})`);
        options.logLevel = known;
        break;
      }
      case '--out': {
        const dir = next();
        if (dir === undefined || dir === '') throw new Error('--out needs a folder');
        options.outDir = dir;
        break;
      }
      default:
        throw new Error(`unknown option ${String(arg)} (see --help)`);
    }
  }
  return options;
}
