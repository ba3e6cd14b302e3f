import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DEFAULT_SEED, MAX_SEED } from '@dslab/checkout-datagen';
import { CHECKOUT_SERVICES, DEFAULT_PORTS } from '@dslab/checkout-kit';
import { prefixLine } from '@dslab/launcher';
import {
  asyncExampleCommands,
  asyncProcessEnvironment,
  asyncProcessSpecs,
  asyncReadyReport,
  asyncStartNotice,
  exampleCommand,
  launchPlan,
  MAX_WORKERS,
  NAME_WIDTH,
  NEIGHBOURS,
  parseStartOptions,
  readyReport,
  serviceEnvironment,
  USAGE,
  type DlqCommandOptions,
  type StartOptions,
} from './start-options.js';

const POSTGRES = 'postgres://checkout:s3cret@127.0.0.1:5432/checkout';

function started(argv: string[], env: Record<string, string | undefined> = {}): StartOptions {
  const parsed = parseStartOptions(argv, env);
  assert.equal(parsed.kind, 'start', JSON.stringify(parsed));
  return (parsed as { options: StartOptions }).options;
}

function usageError(argv: string[], env: Record<string, string | undefined> = {}): string {
  const parsed = parseStartOptions(argv, env);
  assert.equal(parsed.kind, 'usage-error', JSON.stringify(parsed));
  return (parsed as { message: string }).message;
}

describe('npm run checkout: the command line', () => {
  test('with no options, it runs REST on SQLite in ./data/checkout with the default datagen seed', () => {
    assert.deepEqual(started([]), {
      transport: 'rest',
      engine: 'sqlite',
      dataDir: './data/checkout',
      seed: undefined,
      databaseUrl: undefined,
      workers: 1,
      amqpUrl: undefined,
    });
    const plan = launchPlan(started([]), '/repo');
    assert.equal(plan.dataDir, '/repo/data/checkout');
    assert.equal(plan.ecommerceDb, '/repo/data/ecommerce.db');
    assert.equal(plan.seed, DEFAULT_SEED);
    assert.equal(plan.seedGiven, false);
  });

  test('every option is read, in both --flag value and --flag=value forms', () => {
    assert.deepEqual(
      started(['--transport', 'grpc', '--engine=postgres', '--data-dir', '/tmp/x', '--seed=7'], {
        DATABASE_URL: POSTGRES,
      }),
      {
        transport: 'grpc',
        engine: 'postgres',
        dataDir: '/tmp/x',
        seed: 7,
        databaseUrl: POSTGRES,
        workers: 1,
        amqpUrl: undefined,
      },
    );
    assert.equal(started(['--seed', '0']).seed, 0);
    assert.equal(started(['--seed', String(MAX_SEED)]).seed, MAX_SEED);
    const plan = launchPlan(started(['--data-dir', 'elsewhere', '--seed', '9']), '/repo');
    assert.equal(plan.dataDir, '/repo/elsewhere');
    assert.equal(plan.seed, 9);
    assert.equal(plan.seedGiven, true);
  });

  test('--help and -h answer the usage, which names every option', () => {
    for (const flag of ['--help', '-h']) {
      assert.deepEqual(parseStartOptions([flag], {}), { kind: 'help', text: USAGE });
    }
    for (const option of [
      '--transport grpc|rest|async',
      '--workers N',
      'dlq [--replay] [--limit N]',
      '--engine sqlite|postgres',
      '--data-dir DIR',
      '--seed N',
    ]) {
      assert.ok(USAGE.includes(option), option);
    }
  });

  test('when a flag is unknown or a value is missing, it is a usage error that names it', () => {
    assert.match(usageError(['--trasport', 'grpc']), /--trasport/);
    assert.match(usageError(['--transport']), /--transport/);
    assert.match(usageError(['grpc']), /grpc/);
  });

  test('when a value is not allowed, the usage error says which values are', () => {
    assert.equal(usageError(['--transport', 'http']), '--transport must be grpc, rest or async, got "http"');
    assert.equal(usageError(['--engine', 'mysql']), '--engine must be sqlite or postgres, got "mysql"');
    assert.match(usageError(['--data-dir', ' ']), /--data-dir needs a directory/);
    for (const seed of ['-1', '1.5', 'abc', '', String(MAX_SEED + 1)]) {
      assert.match(usageError([`--seed=${seed}`]), /--seed must be an integer from 0 to/, seed);
    }
  });

  test('every bad value is reported at once', () => {
    const message = usageError(['--transport', 'x', '--engine', 'y', '--seed', 'z']);
    assert.equal(message.split('\n').length, 3, message);
  });

  test('when --engine postgres has no usable DATABASE_URL, it is a usage error naming DATABASE_URL', () => {
    assert.match(usageError(['--engine', 'postgres']), /needs DATABASE_URL in the environment/);
    assert.match(usageError(['--engine', 'postgres'], { DATABASE_URL: '' }), /needs DATABASE_URL/);
    assert.match(
      usageError(['--engine', 'postgres'], { DATABASE_URL: 'not a url' }),
      /DATABASE_URL is not a URL/,
    );
    assert.match(
      usageError(['--engine', 'postgres'], { DATABASE_URL: 'mysql://h/db' }),
      /postgres:\/\/ or postgresql:\/\//,
    );
    assert.equal(
      started(['--engine', 'postgres'], { DATABASE_URL: 'postgresql://h/db' }).databaseUrl,
      'postgresql://h/db',
    );
  });

  test('with SQLite, a DATABASE_URL in the environment is ignored', () => {
    assert.equal(started([], { DATABASE_URL: POSTGRES }).databaseUrl, undefined);
  });
});

describe('npm run checkout: what each service is started with', () => {
  const sqlite = launchPlan(started(['--transport', 'grpc']), '/repo');
  const postgres = launchPlan(started(['--engine', 'postgres'], { DATABASE_URL: POSTGRES }), '/repo');

  test('every service gets its default ports, the data dir, its own log folder and the seed file', () => {
    for (const service of CHECKOUT_SERVICES) {
      const env = serviceEnvironment(service, sqlite, {});
      assert.equal(env.HOST, '127.0.0.1');
      assert.equal(env.HTTP_PORT, String(DEFAULT_PORTS[service].http));
      assert.equal(env.GRPC_PORT, String(DEFAULT_PORTS[service].grpc));
      assert.equal(env.DATA_DIR, '/repo/data/checkout');
      assert.equal(env.LOG_DIR, join('/repo/data/checkout', service));
      assert.equal(env.ECOMMERCE_DB, '/repo/data/ecommerce.db');
      assert.equal(env.DATABASE_URL, undefined);
    }
  });

  test('pedidos and catalogo get the transport and the addresses of exactly the services they call', () => {
    assert.deepEqual(
      Object.keys(serviceEnvironment('pedidos', sqlite, {}))
        .filter((key) => /_(HTTP_URL|GRPC_ADDR)$/.test(key))
        .sort(),
      ['CATALOGO', 'ESTOQUE', 'FISCAL', 'LOGISTICA', 'PAGAMENTOS']
        .flatMap((name) => [`${name}_GRPC_ADDR`, `${name}_HTTP_URL`])
        .sort(),
    );
    const catalogo = serviceEnvironment('catalogo', sqlite, {});
    assert.equal(catalogo.TRANSPORT, 'grpc');
    assert.equal(catalogo.ESTOQUE_HTTP_URL, 'http://127.0.0.1:8103');
    assert.equal(catalogo.ESTOQUE_GRPC_ADDR, '127.0.0.1:50053');
    assert.equal(serviceEnvironment('pedidos', sqlite, {}).PAGAMENTOS_GRPC_ADDR, '127.0.0.1:50052');
    for (const service of ['pagamentos', 'estoque', 'fiscal', 'logistica'] as const) {
      const env = serviceEnvironment(service, sqlite, {});
      assert.equal(env.TRANSPORT, undefined, service);
      assert.deepEqual(NEIGHBOURS[service], []);
    }
  });

  test('with PostgreSQL every service gets DATABASE_URL and keeps its own default schema', () => {
    for (const service of CHECKOUT_SERVICES) {
      const env = serviceEnvironment(service, postgres, { DATABASE_SCHEMA: 'shared' });
      assert.equal(env.DATABASE_URL, POSTGRES);
      assert.equal(env.DATABASE_SCHEMA, undefined, 'one schema for all six would mix their tables');
    }
  });

  test('settings the launcher decides never leak in from the shell; the others pass through', () => {
    const shell = {
      HTTP_PORT: '9999',
      GRPC_PORT: '9998',
      HOST: '0.0.0.0',
      DATABASE_URL: POSTGRES,
      TRANSPORT: 'rest',
      LOG_DIR: '/var/log',
      ESTOQUE_HTTP_URL: 'http://elsewhere:1',
      PAGAMENTO_TAXA_REJEICAO: '0.5',
      LOG_LEVEL: 'debug',
      PATH: '/usr/bin',
      UNSET: undefined,
    };
    const estoque = serviceEnvironment('estoque', sqlite, shell);
    assert.equal(estoque.HTTP_PORT, '8103');
    assert.equal(estoque.HOST, '127.0.0.1');
    assert.equal(estoque.DATABASE_URL, undefined);
    assert.equal(estoque.TRANSPORT, undefined);
    assert.equal(estoque.ESTOQUE_HTTP_URL, undefined);
    assert.equal(estoque.LOG_DIR, '/repo/data/checkout/estoque');
    assert.equal(estoque.LOG_LEVEL, 'debug');
    assert.equal(estoque.PATH, '/usr/bin');
    assert.ok(!('UNSET' in estoque));
    assert.equal(serviceEnvironment('pagamentos', sqlite, shell).PAGAMENTO_TAXA_REJEICAO, '0.5');
    assert.equal(serviceEnvironment('catalogo', sqlite, shell).ESTOQUE_HTTP_URL, 'http://127.0.0.1:8103');
  });
});

describe('npm run checkout: what it prints', () => {
  const key = '2f1c7a58-9a43-4df3-9c1e-0d8a0c6f7b11';

  test('every line a service prints is prefixed with its name, in one column', () => {
    assert.equal(prefixLine('pedidos', 'INFO:x', NAME_WIDTH), 'pedidos    | INFO:x');
    assert.equal(prefixLine('pagamentos', '', NAME_WIDTH), 'pagamentos | ');
  });

  test('the REST example is a curl POST to pedidos with an Idempotency-Key and a JSON order', () => {
    assert.equal(
      exampleCommand({ transport: 'rest', host: '127.0.0.1' }, key, 'contracts/proto'),
      `curl -X POST http://127.0.0.1:8101/pedidos -H 'content-type: application/json' -H 'Idempotency-Key: ${key}' ` +
        `-d '{"cliente_id":1,"itens":[{"produto_id":1,"quantidade":1}]}'`,
    );
  });

  test('the gRPC example is a grpcurl CriarPedido call on pedidos with the proto import path', () => {
    assert.equal(
      exampleCommand({ transport: 'grpc', host: '127.0.0.1' }, key, 'contracts/proto'),
      `grpcurl -plaintext -import-path contracts/proto -proto checkout/v1/pedidos.proto ` +
        `-d '{"cliente_id":1,"itens":[{"produto_id":1,"quantidade":1}],"idempotency_key":"${key}"}' ` +
        `127.0.0.1:50051 checkout.v1.Pedidos/CriarPedido`,
    );
    assert.match(
      exampleCommand({ transport: 'grpc', host: '127.0.0.1' }, key, "/my dir/it's/contracts/proto"),
      /-import-path '\/my dir\/it'\\''s\/contracts\/proto' /,
    );
  });

  test('the report lists every service with its REST URL and gRPC address, then the example', () => {
    const report = readyReport(launchPlan(started([]), '/repo'), key, 'contracts/proto');
    for (const service of CHECKOUT_SERVICES) {
      const { http, grpc } = DEFAULT_PORTS[service];
      assert.match(
        report,
        new RegExp(`\\n  ${service} +http://127\\.0\\.0\\.1:${http} +127\\.0\\.0\\.1:${grpc}\\n`),
      );
    }
    assert.ok(report.includes(`curl -X POST http://127.0.0.1:8101/pedidos`));
    assert.ok(report.includes('SQLite files in /repo/data/checkout'));
  });

  test('the PostgreSQL password is never printed', () => {
    const plan = launchPlan(started(['--engine', 'postgres'], { DATABASE_URL: POSTGRES }), '/repo');
    const report = readyReport(plan, key, 'contracts/proto');
    assert.ok(!report.includes('s3cret'));
    assert.ok(report.includes('postgres://checkout:***@127.0.0.1:5432/checkout'));
  });
});

const AMQP = 'amqp://checkout:rabbit-secret@127.0.0.1:5672';

function dlq(argv: string[], env: Record<string, string | undefined>): DlqCommandOptions {
  const parsed = parseStartOptions(argv, env);
  assert.equal(parsed.kind, 'dlq', JSON.stringify(parsed));
  return (parsed as { options: DlqCommandOptions }).options;
}

describe('npm run checkout -- --transport async: the command line', () => {
  test('without AMQP_URL it is the embedded mode: one process, SQLite, no workers to count', () => {
    const options = started(['--transport', 'async']);
    assert.equal(options.transport, 'async');
    assert.equal(options.amqpUrl, undefined);
    const plan = launchPlan(options, '/repo');
    assert.equal(plan.mode, 'embedded');
    assert.equal(plan.workers, 0);
    assert.match(usageError(['--transport', 'async', '--workers', '2']), /--workers needs AMQP_URL/);
    assert.match(
      usageError(['--transport', 'async', '--engine', 'postgres'], { DATABASE_URL: POSTGRES }),
      /embedded mode \(no AMQP_URL\) runs on SQLite/,
    );
  });

  test('with AMQP_URL it runs N workers on RabbitMQ, on SQLite or on PostgreSQL', () => {
    const options = started(['--transport', 'async', '--workers', '4', '--engine', 'postgres'], {
      AMQP_URL: AMQP,
      DATABASE_URL: POSTGRES,
    });
    assert.deepEqual(options, {
      transport: 'async',
      engine: 'postgres',
      dataDir: './data/checkout',
      seed: undefined,
      databaseUrl: POSTGRES,
      workers: 4,
      amqpUrl: AMQP,
    });
    const plan = launchPlan(options, '/repo');
    assert.equal(plan.mode, 'distributed');
    assert.equal(plan.workers, 4);
    assert.equal(launchPlan(started(['--transport', 'async'], { AMQP_URL: AMQP }), '/repo').workers, 1);
  });

  test('--workers is counted from 1 to the maximum, and only with --transport async', () => {
    for (const workers of ['0', '-1', 'x', String(MAX_WORKERS + 1)])
      assert.match(
        usageError(['--transport', 'async', `--workers=${workers}`], { AMQP_URL: AMQP }),
        /--workers must be an integer from 1 to 16/,
        workers,
      );
    assert.match(usageError(['--workers', '2']), /--workers goes with --transport async/);
    assert.match(
      usageError(['--transport', 'async'], { AMQP_URL: 'http://rabbit' }),
      /AMQP_URL must be a amqp:\/\/ or amqps:\/\/ URL/,
    );
  });

  test('dlq reads AMQP_URL and QUEUE_PREFIX, with --replay and --limit', () => {
    assert.deepEqual(dlq(['dlq'], { AMQP_URL: AMQP }), {
      replay: false,
      limit: 100,
      amqpUrl: AMQP,
      queuePrefix: 'checkout',
    });
    assert.deepEqual(dlq(['dlq', '--replay', '--limit', '5'], { AMQP_URL: AMQP, QUEUE_PREFIX: 'loja' }), {
      replay: true,
      limit: 5,
      amqpUrl: AMQP,
      queuePrefix: 'loja',
    });
    assert.match(usageError(['dlq']), /set AMQP_URL/);
    assert.match(usageError(['dlq', '--workers', '2'], { AMQP_URL: AMQP }), /--workers is for starting/);
    assert.match(usageError(['--replay']), /--replay goes with the dlq command/);
    assert.match(usageError(['dlq', 'now'], { AMQP_URL: AMQP }), /unexpected argument "now"/);
    assert.match(usageError(['dlq', '--limit', '0'], { AMQP_URL: AMQP }), /--limit must be an integer/);
  });
});

describe('npm run checkout -- --transport async: what each process is started with', () => {
  const distributed = launchPlan(
    started(['--transport', 'async', '--workers', '3', '--engine', 'postgres'], {
      AMQP_URL: AMQP,
      DATABASE_URL: POSTGRES,
    }),
    '/repo',
  );
  const embedded = launchPlan(started(['--transport', 'async']), '/repo');

  test('distributed: estoque, catalogo, pedidos, then the workers on 8110, 8111, …', () => {
    const specs = asyncProcessSpecs(distributed);
    assert.deepEqual(
      specs.map((spec) => [spec.name, spec.healthUrl]),
      [
        ['estoque', 'http://127.0.0.1:8103/health'],
        ['catalogo', 'http://127.0.0.1:8106/health'],
        ['pedidos', 'http://127.0.0.1:8101/health'],
        ['checkout-worker-1', 'http://127.0.0.1:8110/health'],
        ['checkout-worker-2', 'http://127.0.0.1:8111/health'],
        ['checkout-worker-3', 'http://127.0.0.1:8112/health'],
      ],
    );
  });

  test('pedidos runs in async mode, catalogo keeps calling estoque over REST, the broker passes through', () => {
    const shell = { AMQP_URL: AMQP, TRANSPORT: 'grpc', QUEUE_PREFIX: 'loja', HEALTH_PORT: '1' };
    const [estoque, catalogo, pedidos] = asyncProcessSpecs(distributed);
    assert.ok(estoque !== undefined && catalogo !== undefined && pedidos !== undefined);
    const pedidosEnv = asyncProcessEnvironment(pedidos, distributed, shell);
    assert.equal(pedidosEnv.TRANSPORT, 'async');
    assert.equal(pedidosEnv.AMQP_URL, AMQP);
    assert.equal(pedidosEnv.QUEUE_PREFIX, 'loja');
    assert.equal(pedidosEnv.DATABASE_URL, POSTGRES);
    assert.equal(pedidosEnv.CATALOGO_HTTP_URL, 'http://127.0.0.1:8106');
    assert.equal(asyncProcessEnvironment(catalogo, distributed, shell).TRANSPORT, 'rest');
    assert.equal(asyncProcessEnvironment(estoque, distributed, shell).TRANSPORT, undefined);
  });

  test('each worker gets its own health port and log folder, the broker, the database and the seed', () => {
    const workers = asyncProcessSpecs(distributed).filter((spec) => spec.entry.kind === 'worker');
    const shell = { HEALTH_PORT: '9999', DATABASE_SCHEMA_PREFIX: 'x_', WORKER_SERVICES: 'pagamentos' };
    workers.forEach((spec, i) => {
      const env = asyncProcessEnvironment(spec, distributed, shell);
      assert.equal(env.HEALTH_PORT, String(8110 + i));
      assert.equal(env.LOG_DIR, join('/repo/data/checkout', `checkout-worker-${i + 1}`));
      assert.equal(env.AMQP_URL, AMQP);
      assert.equal(env.DATABASE_URL, POSTGRES);
      assert.equal(env.DATABASE_SCHEMA_PREFIX, undefined, "the services' own schemas, as pedidos uses");
      assert.equal(env.ECOMMERCE_DB, '/repo/data/ecommerce.db');
      assert.equal(env.WORKER_SERVICES, 'pagamentos', 'tuning passes through');
    });
  });

  test('embedded: one process on the default ports of pedidos and catalogo, never a broker', () => {
    const [spec, ...rest] = asyncProcessSpecs(embedded);
    assert.ok(spec !== undefined);
    assert.deepEqual(rest, []);
    assert.equal(spec.healthUrl, 'http://127.0.0.1:8101/health');
    const env = asyncProcessEnvironment(spec, embedded, { AMQP_URL: AMQP, DATABASE_URL: POSTGRES });
    assert.equal(env.HTTP_PORT, '8101');
    assert.equal(env.CATALOGO_HTTP_PORT, '8106');
    assert.equal(env.AMQP_URL, undefined);
    assert.equal(env.DATABASE_URL, undefined);
    assert.equal(env.DATA_DIR, '/repo/data/checkout');
  });
});

describe('npm run checkout -- --transport async: what it prints', () => {
  const key = '2f1c7a58-9a43-4df3-9c1e-0d8a0c6f7b11';
  const login = { email: 'ana@example.com', senha: 'dev-only-senha-padrao', developmentDefault: true };
  const distributed = launchPlan(
    started(['--transport', 'async', '--workers', '2', '--engine', 'postgres'], {
      AMQP_URL: AMQP,
      DATABASE_URL: POSTGRES,
    }),
    '/repo',
  );

  test('it says what it expects: the broker and database it uses, or how to leave the embedded mode', () => {
    const notice = asyncStartNotice(distributed);
    assert.match(notice, /RabbitMQ amqp:\/\/checkout:\*\*\*@127\.0\.0\.1:5672 with 2 worker\(s\)/);
    assert.match(notice, /PostgreSQL postgres:\/\/checkout:\*\*\*@/);
    const embedded = asyncStartNotice(launchPlan(started(['--transport', 'async']), '/repo'));
    assert.match(embedded, /embedded mode: ONE process/);
    assert.match(embedded, /set AMQP_URL \(and DATABASE_URL with --engine postgres\)/);
  });

  test('the example logs in, posts an order with the token and an Idempotency-Key, and reads it back', () => {
    const [loginLine, post, get] = asyncExampleCommands(distributed, login, key);
    assert.equal(
      loginLine,
      `TOKEN=$(curl -s -X POST http://127.0.0.1:8101/auth/login -H 'content-type: application/json' ` +
        `-d '{"email":"ana@example.com","senha":"dev-only-senha-padrao"}' | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token')`,
    );
    assert.equal(
      post,
      `curl -i -X POST http://127.0.0.1:8101/pedidos -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' ` +
        `-H 'Idempotency-Key: ${key}' -d '{"itens":[{"produto_id":1,"quantidade":1}]}'`,
    );
    assert.match(get ?? '', /^curl -s http:\/\/127\.0\.0\.1:8101\/pedidos\/<id from the Location header> /);
  });

  test('the report lists every process, the example and the dlq command, and no password', () => {
    const report = asyncReadyReport(distributed, login, key);
    for (const name of ['estoque', 'catalogo', 'pedidos', 'checkout-worker-1', 'checkout-worker-2'])
      assert.match(report, new RegExp(`\\n  ${name} +http://127\\.0\\.0\\.1:\\d+`), name);
    assert.ok(report.includes('http://127.0.0.1:8111  (/health, /metrics)'));
    assert.ok(report.includes('npm run checkout -- dlq'));
    assert.ok(report.includes("CHECKOUT_SENHA_PADRAO's development default"));
    assert.ok(!report.includes('rabbit-secret') && !report.includes('s3cret'));
  });
});
