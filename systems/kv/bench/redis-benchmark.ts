/**
 * Redis's own load generator as the raw-engine baseline: what one Redis on this machine answers
 * per second without HTTP, JSON or Node in the way, measured in the same run as the API.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RedisBenchmarkResult {
  /** The command line, for the report. */
  command: string;
  /** The test name redis-benchmark printed (GET, HMGET, …). */
  test: string;
  rps: number;
  latencyMs: { avg: number; p50: number; p95: number; p99: number; max: number };
}

/**
 * Parses `redis-benchmark --csv`: a header line, then one quoted row per test, e.g.
 * "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
 * "GET","47961.63","0.568","0.192","0.527","0.847","1.223","2.503"
 * (The CSV carries the percentiles too, and none of -q's carriage-return progress lines.)
 */
export function parseRedisBenchmarkCsv(text: string): Omit<RedisBenchmarkResult, 'command'>[] {
  const rows = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.startsWith('"'))
    .map((line) => line.split(',').map((cell) => cell.replace(/^"|"$/g, '')));
  const header = rows[0];
  if (header?.[0] !== 'test') throw new Error(`redis-benchmark printed no CSV header:\n${text}`);
  const column = (name: string) => {
    const index = header.indexOf(name);
    if (index < 0) throw new Error(`redis-benchmark's CSV has no column ${name}`);
    return index;
  };
  const at = {
    rps: column('rps'),
    avg: column('avg_latency_ms'),
    p50: column('p50_latency_ms'),
    p95: column('p95_latency_ms'),
    p99: column('p99_latency_ms'),
    max: column('max_latency_ms'),
  };
  return rows.slice(1).map((row) => {
    const number = (index: number) => {
      const value = Number(row[index]);
      if (!Number.isFinite(value))
        throw new Error(`redis-benchmark printed a bad number in ${row.join(',')}`);
      return value;
    };
    return {
      test: row[0] ?? '',
      rps: number(at.rps),
      latencyMs: {
        avg: number(at.avg),
        p50: number(at.p50),
        p95: number(at.p95),
        p99: number(at.p99),
        max: number(at.max),
      },
    };
  });
}

/** Host, port and database number of a redis:// URL (redis-benchmark takes no URL). */
export function redisTarget(url: string): {
  host: string;
  port: number;
  db: number;
  user: string | undefined;
  password: string | undefined;
} {
  const parsed = new URL(url);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  return {
    host: parsed.hostname === '' ? '127.0.0.1' : parsed.hostname,
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    db: Number.isInteger(db) ? db : 0,
    user: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
  };
}

/**
 * Runs redis-benchmark once. Without `command` it runs the built-in GET test (`-t get`);
 * with one (e.g. ['HMGET', key, 'v', 'd', 'val', 't']) it runs exactly that command.
 */
export async function runRedisBenchmark(options: {
  url: string;
  requests: number;
  clients: number;
  command?: readonly string[];
  executable?: string;
}): Promise<RedisBenchmarkResult> {
  const target = redisTarget(options.url);
  const auth = [
    ...(target.user === undefined ? [] : ['--user', target.user]),
    ...(target.password === undefined ? [] : ['-a', target.password]),
  ];
  const args = [
    '-h',
    target.host,
    '-p',
    String(target.port),
    '--dbnum',
    String(target.db),
    '-n',
    String(options.requests),
    '-c',
    String(options.clients),
    '--csv',
    ...(options.command === undefined ? ['-t', 'get'] : options.command),
  ];
  const executable = options.executable ?? 'redis-benchmark';
  // --no-auth-warning: a password on the command line would otherwise be announced on stderr.
  const authArgs = auth.length === 0 ? [] : [...auth, '--no-auth-warning'];
  const { stdout } = await run(executable, [...authArgs, ...args], { maxBuffer: 1 << 20 });
  const [first] = parseRedisBenchmarkCsv(stdout);
  if (first === undefined) throw new Error(`redis-benchmark printed no result:\n${stdout}`);
  // The report shows the command without credentials.
  return { command: `${executable} ${args.join(' ')}`, ...first };
}
