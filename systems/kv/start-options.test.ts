import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { prefixLine } from '@dslab/launcher';
import type { DeadLetter } from '@dslab/messaging';
import {
  deadLetterReport,
  DEFAULT_DLQ_LIMIT,
  exampleCommands,
  launchPlan,
  MAX_CONSUMERS,
  NAME_WIDTH,
  parseCommandLine,
  processEnvironment,
  processNames,
  processSpecs,
  readyReport,
  USAGE,
  type LaunchPlan,
} from './start-options.js';

const POSTGRES = 'postgres://kv:s3cret@db.example:5432/kv';

function usageError(argv: string[]): string {
  const parsed = parseCommandLine(argv);
  assert.equal(parsed.kind, 'usage-error', JSON.stringify(parsed));
  return (parsed as { message: string }).message;
}

function planOf(consumers: number, env: Record<string, string | undefined> = {}): LaunchPlan {
  const planned = launchPlan({ consumers }, env, '/repo');
  assert.ok(planned.ok, JSON.stringify(planned));
  return planned.plan;
}

describe('npm run kv: the command line', () => {
  test('with no options, it starts the API and one consumer', () => {
    assert.deepEqual(parseCommandLine([]), { kind: 'start', options: { consumers: 1 } });
  });

  test('--consumers N starts N consumers, in both --flag value and --flag=value forms', () => {
    assert.deepEqual(parseCommandLine(['--consumers', '3']), { kind: 'start', options: { consumers: 3 } });
    assert.deepEqual(parseCommandLine([`--consumers=${MAX_CONSUMERS}`]), {
      kind: 'start',
      options: { consumers: MAX_CONSUMERS },
    });
  });

  test('when --consumers is not an integer from 1 to the maximum, the usage error says so', () => {
    for (const value of ['0', '-1', '1.5', 'two', '', String(MAX_CONSUMERS + 1)]) {
      assert.equal(
        usageError([`--consumers=${value}`]),
        `--consumers must be an integer from 1 to ${MAX_CONSUMERS}, got "${value}"`,
        value,
      );
    }
  });

  test('dlq lists the dead letters; --replay moves them back; --limit bounds them', () => {
    assert.deepEqual(parseCommandLine(['dlq']), {
      kind: 'dlq',
      options: { replay: false, limit: DEFAULT_DLQ_LIMIT },
    });
    assert.deepEqual(parseCommandLine(['dlq', '--replay', '--limit', '5']), {
      kind: 'dlq',
      options: { replay: true, limit: 5 },
    });
    assert.match(usageError(['dlq', '--limit', '0']), /--limit must be an integer from 1/);
  });

  test('options of the other command, unknown commands and flags are usage errors that name them', () => {
    assert.match(usageError(['--replay']), /--replay goes with the dlq command/);
    assert.match(usageError(['--limit', '3']), /--limit goes with the dlq command/);
    assert.match(usageError(['dlq', '--consumers', '2']), /--consumers is for starting/);
    assert.match(usageError(['start']), /unknown command "start"/);
    assert.match(usageError(['dlq', 'now']), /unexpected argument "now"/);
    assert.match(usageError(['--consumer', '2']), /--consumer/);
    assert.match(usageError(['--consumers']), /--consumers/);
  });

  test('--help and -h answer the usage, which names every option and every engine setting the plan reports', () => {
    for (const flag of ['--help', '-h'])
      assert.deepEqual(parseCommandLine([flag]), { kind: 'help', text: USAGE });
    const engineKeys = planOf(1).engines.map((engine) => engine.key);
    const named = ['--consumers N', 'dlq --replay', '--limit N', 'KV_PORT', ...engineKeys];
    assert.deepEqual(
      named.filter((text) => !USAGE.includes(text)),
      [],
    );
  });
});

describe('npm run kv: the plan, checked against the services’ own settings', () => {
  test('with an empty environment, every engine is the development default, and says so', () => {
    const plan = planOf(1);
    assert.deepEqual(
      plan.engines.map((engine) => [engine.key, engine.url, engine.developmentDefault]),
      [
        ['DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/test', true],
        ['REDIS_URL', 'redis://127.0.0.1:6379', true],
        ['AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672', true],
      ],
    );
    assert.equal(plan.apiPort, 8080);
    assert.equal(plan.consumerBasePort, 8081);
    assert.equal(plan.dataDir, '/repo/data/kv');
    assert.deepEqual([plan.schema, plan.cachePrefix, plan.queuePrefix], ['kv', 'kv:', '']);
  });

  test('URLs, ports and namespaces set in the environment are used, and not called defaults', () => {
    const plan = planOf(2, {
      DATABASE_URL: POSTGRES,
      AMQP_URL: 'amqp://u:p@mq:5672',
      KV_PORT: '9000',
      KV_CONSUMER_PORT: '9100',
      KV_SCHEMA: 'kv_demo',
      KV_QUEUE_PREFIX: 'demo.',
      DATA_DIR: 'elsewhere',
    });
    assert.deepEqual(
      plan.engines.map((engine) => engine.developmentDefault),
      [false, true, false],
    );
    assert.equal(plan.engines[0]?.url, POSTGRES);
    assert.deepEqual(
      processSpecs(plan).map((spec) => [spec.name, spec.deployable, spec.url]),
      [
        ['kv-api', 'kv-api', 'http://127.0.0.1:9000'],
        ['kv-consumer-1', 'kv-consumer', 'http://127.0.0.1:9100'],
        ['kv-consumer-2', 'kv-consumer', 'http://127.0.0.1:9101'],
      ],
    );
    assert.equal(plan.dataDir, '/repo/elsewhere');
    assert.equal(plan.queuePrefix, 'demo.');
  });

  test('when a setting is bad, every problem is reported before anything starts', () => {
    const planned = launchPlan(
      { consumers: 1 },
      { DATABASE_URL: 'mysql://h/db', KV_SCHEMA: 'Bad-Schema', KV_PREFETCH: 'many' },
      '/repo',
    );
    assert.equal(planned.ok, false);
    const problems = (planned as { problems: string[] }).problems.join('\n');
    assert.match(problems, /DATABASE_URL must use postgres or postgresql/);
    assert.match(problems, /KV_PREFETCH must be an integer/);
    assert.equal(
      (planned as { problems: string[] }).problems.filter((p) => p.startsWith('DATABASE_URL')).length,
      1,
    );
    const schema = launchPlan({ consumers: 1 }, { KV_SCHEMA: 'Bad-Schema' }, '/repo');
    assert.match(
      (schema as { problems: string[] }).problems.join('\n'),
      /KV_SCHEMA must be a PostgreSQL schema name/,
    );
  });

  test('when the API port falls among the consumers’ ports, or a port is 0, it is refused', () => {
    const clash = launchPlan({ consumers: 3 }, { KV_PORT: '8083' }, '/repo');
    assert.match(
      (clash as { problems: string[] }).problems.join(),
      /KV_PORT 8083 is one of the consumers' ports \(8081–8083\)/,
    );
    const zero = launchPlan({ consumers: 1 }, { KV_PORT: '0' }, '/repo');
    assert.match((zero as { problems: string[] }).problems.join(), /must be fixed ports/);
    const full = launchPlan({ consumers: 3 }, { KV_CONSUMER_PORT: '65534' }, '/repo');
    assert.match((full as { problems: string[] }).problems.join(), /leaves no room for 3 consumers/);
  });
});

describe('npm run kv: what each process is started with', () => {
  const plan = planOf(2, { DATABASE_URL: POSTGRES });
  const [api, first, second] = processSpecs(plan);

  test('the API gets KV_PORT, each consumer its own KV_CONSUMER_PORT, all on 127.0.0.1 with their own log folder', () => {
    assert.ok(api !== undefined && first !== undefined && second !== undefined);
    const apiEnv = processEnvironment(api, plan, {});
    assert.deepEqual(
      [apiEnv.HOST, apiEnv.KV_PORT, apiEnv.KV_CONSUMER_PORT],
      ['127.0.0.1', '8080', undefined],
    );
    assert.equal(apiEnv.LOG_DIR, '/repo/data/kv/kv-api');
    const ports = [first, second].map((spec) => processEnvironment(spec, plan, {}).KV_CONSUMER_PORT);
    assert.deepEqual(ports, ['8081', '8082']);
    assert.equal(processEnvironment(second, plan, {}).LOG_DIR, '/repo/data/kv/kv-consumer-2');
    assert.deepEqual(processNames(plan), ['kv-api', 'kv-consumer-1', 'kv-consumer-2']);
  });

  test('engine URLs and tuning pass through unchanged; what the launcher decides never leaks in', () => {
    assert.ok(first !== undefined);
    const shell = {
      DATABASE_URL: POSTGRES,
      KV_QUEUE_PREFIX: 'demo.',
      KV_PREFETCH: '8',
      LOG_LEVEL: 'debug',
      HOST: '0.0.0.0',
      KV_CONSUMER_PORT: '7000',
      LOG_DIR: '/var/log',
      UNSET: undefined,
    };
    const env = processEnvironment(first, plan, shell);
    assert.equal(env.DATABASE_URL, POSTGRES);
    assert.equal(env.KV_QUEUE_PREFIX, 'demo.');
    assert.equal(env.KV_PREFETCH, '8');
    assert.equal(env.LOG_LEVEL, 'debug');
    assert.equal(env.HOST, '127.0.0.1');
    assert.equal(env.KV_CONSUMER_PORT, '8081');
    assert.equal(env.LOG_DIR, '/repo/data/kv/kv-consumer-1');
    assert.ok(!('UNSET' in env));
  });
});

describe('npm run kv: what it prints', () => {
  test('every line of a process is prefixed with its name, in one column as wide as the longest name', () => {
    assert.equal(prefixLine('kv-api', 'INFO:x', NAME_WIDTH), 'kv-api         | INFO:x');
    assert.equal(prefixLine(`kv-consumer-${MAX_CONSUMERS}`, '', NAME_WIDTH), 'kv-consumer-16 | ');
  });

  test('the ready report names every process, every engine (marking development defaults, hiding passwords) and curl lines', () => {
    const report = readyReport(planOf(2, { DATABASE_URL: POSTGRES }));
    assert.match(report, /kv-api {9}http:\/\/127\.0\.0\.1:8080 {2}\(API, \/docs\)/);
    assert.match(report, /kv-consumer-2 {2}http:\/\/127\.0\.0\.1:8082 {2}\(\/health, \/metrics\)/);
    assert.match(report, /PostgreSQL {2}postgres:\/\/kv:\*\*\*@db\.example:5432\/kv {2}\(DATABASE_URL\)/);
    assert.ok(!report.includes('s3cret'));
    assert.match(
      report,
      /Redis {7}redis:\/\/127\.0\.0\.1:6379 {2}\(development default: REDIS_URL is not set\)/,
    );
    assert.match(report, /queues add_key and del_key/);
    for (const command of exampleCommands('http://127.0.0.1:8080'))
      assert.ok(report.includes(command), command);
  });

  test('the curl lines write with the seed’s body, read, read with min_version and delete', () => {
    const [put, get, wait, del] = exampleCommands('http://127.0.0.1:8080');
    assert.equal(
      put,
      `curl -i -X PUT http://127.0.0.1:8080/ -H 'content-type: application/json' -d '{"key_name":"hello","key_value":"world"}'`,
    );
    assert.equal(get, `curl -i 'http://127.0.0.1:8080/?key=hello'`);
    assert.match(wait ?? '', /min_version=/);
    assert.equal(del, `curl -i -X DELETE 'http://127.0.0.1:8080/?key=hello'`);
  });

  test('the dead-letter report shows each letter’s id, reason, attempts and body; an empty queue says so', () => {
    const letter: DeadLetter = {
      messageId: 'kv-7',
      queue: 'add_key',
      reason: 'add_key message: version must be an integer ≥ 1',
      deadAt: '2025-01-01T00:00:00.000Z',
      attempts: 1,
      content: Buffer.from(`{"key_name":"a","key_value":"${'x'.repeat(300)}"}`),
    };
    const report = deadLetterReport('add_key', [letter], 10);
    assert.match(
      report,
      /^add_key\.dlq: 1\n {2}kv-7 {2}2025-01-01T00:00:00\.000Z {2}after 1 attempt\(s\): add_key message: version/,
    );
    assert.match(report, /x…$/);
    assert.equal(deadLetterReport('del_key', [], 10), 'del_key.dlq: empty');
    assert.match(deadLetterReport('add_key', [letter, letter], 2), /first 2; --limit shows more/);
  });
});
