import { migrate, openDatabase, type Database } from '@dslab/db';
import type { Logger } from '@dslab/logging';
import { hashPassword } from './adapters/passwords.js';
import { schedulerMigrations } from './adapters/migrations.js';
import type { SchedulerTables } from './adapters/schema.js';
import { createSchedulerStore } from './adapters/store.js';
import { formatUtc } from './domain/time.js';

export const DEFAULT_TELESCOPE = {
  id: 'Hubble-Acad',
  nome: 'Hubble Acadêmico',
  descricao: 'Telescópio espacial acadêmico compartilhado',
};

/** Opens the database, applies migrations and seeds the first telescope and the admin (idempotent). */
export async function prepareDatabase(
  options: { databaseUrl?: string | undefined; schema?: string | undefined; sqliteFile: string },
  seed: { adminEmail: string; adminPassword: string; now: number },
  logger: Logger,
): Promise<Database<SchedulerTables>> {
  const database = await openDatabase<SchedulerTables>(
    options.databaseUrl === undefined
      ? { engine: 'sqlite', file: options.sqliteFile }
      : {
          engine: 'postgres',
          url: options.databaseUrl,
          ...(options.schema === undefined ? {} : { schema: options.schema }),
        },
  );
  await migrate(database, schedulerMigrations(database.engine));
  logger.info(`Conexão com o banco de dados estabelecida (${database.engine}: ${database.location})`);
  const store = createSchedulerStore(database.db);
  await store.ensureTelescope({ ...DEFAULT_TELESCOPE, criado_em_utc: formatUtc(seed.now) });
  const email = seed.adminEmail.trim().toLowerCase();
  if ((await store.findScientistByEmail(email)) === undefined) {
    try {
      await store.insertScientist({
        nome: 'Administrador',
        email,
        senha_hash: await hashPassword(seed.adminPassword),
        instituicao: null,
        papel: 'admin',
        criado_em_utc: formatUtc(seed.now),
      });
      logger.info(`Administrador criado: ${email}`);
    } catch {
      // Another scheduler starting at the same time created it first.
    }
  }
  return database;
}
