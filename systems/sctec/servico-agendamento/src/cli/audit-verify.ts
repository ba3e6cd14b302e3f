/**
 * `npm run audit:verify` — recomputes the audit hash chain of the scheduler's database and
 * names the first broken entry. Uses the same settings as the service (DATA_DIR or
 * DATABASE_URL/DATABASE_SCHEMA). Exit code 0 = intact, 1 = broken, 2 = could not read.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createAuditLog, describeBreak } from '@dslab/audit-log';
import { env, loadConfigOrExit } from '@dslab/config';
import { openDatabase } from '@dslab/db';
import { createLogger } from '@dslab/logging';
import type { SchedulerTables } from '../adapters/schema.js';

const { config } = loadConfigOrExit(
  {
    DATA_DIR: env.string('directory of the SQLite file').default('./data'),
    DATABASE_URL: env.url('PostgreSQL URL', { protocols: ['postgres', 'postgresql'] }).optional(),
    DATABASE_SCHEMA: env.string('PostgreSQL schema').optional(),
  },
  'audit-verify',
);

const sqliteFile = join(config.DATA_DIR, 'sctec.db');
if (config.DATABASE_URL === undefined && !existsSync(sqliteFile)) {
  process.stderr.write(`Nenhum banco em ${sqliteFile}: confira DATA_DIR (ou defina DATABASE_URL)\n`);
  process.exit(2);
}

try {
  const database = await openDatabase<SchedulerTables>(
    config.DATABASE_URL === undefined
      ? { engine: 'sqlite', file: sqliteFile }
      : {
          engine: 'postgres',
          url: config.DATABASE_URL,
          ...(config.DATABASE_SCHEMA === undefined ? {} : { schema: config.DATABASE_SCHEMA }),
        },
  );
  const audit = createAuditLog({
    db: database.db,
    service: 'servico-agendamento',
    logger: createLogger({ service: 'audit-verify', console: false }),
  });
  const result = await audit.verify();
  await database.close();
  if (result.ok) {
    process.stdout.write(
      `Trilha de auditoria íntegra: ${result.count} entradas (${database.location}); última seq ${result.headSeq}, hash ${result.headHash}\n`,
    );
  } else {
    process.stdout.write(
      `TRILHA DE AUDITORIA VIOLADA (${database.location}), primeira entrada quebrada: ${describeBreak(result.firstBroken)}\n`,
    );
    process.exitCode = 1;
  }
} catch (error) {
  process.stderr.write(`Não foi possível ler a trilha de auditoria: ${String(error)}\n`);
  process.exitCode = 2;
}
