/**
 * `npm run start:cluster`: SCTEC scaled out on this machine — 2 servico-coordenador processes
 * sharing their lock state in Redis and 2 servico-agendamento processes sharing PostgreSQL,
 * each pair behind one balanced address. All processes log to this console (aggregated, each
 * line names its service); Ctrl-C stops everything gracefully.
 */
import { resolve } from 'node:path';
import { startCluster, type Cluster } from './topology.js';
import { loadClusterConfig } from './config.js';

const { config, notes } = loadClusterConfig();
for (const note of notes) process.stdout.write(`${note}\n`);

let cluster: Cluster;
try {
  cluster = await startCluster({
    databaseUrl: config.DATABASE_URL,
    databaseSchema: config.DATABASE_SCHEMA,
    redisUrl: config.REDIS_URL,
    redisPrefix: config.LOCK_STORE_PREFIX,
    dataDir: resolve(config.DATA_DIR),
    schedulers: config.SCHEDULERS,
    coordinators: config.COORDINATORS,
    schedulerFrontPort: config.SCHEDULER_PORT,
    coordinatorFrontPort: config.COORDINATOR_PORT,
    jwtSecret: config.JWT_SECRET,
    adminEmail: config.ADMIN_EMAIL,
    adminPassword: config.ADMIN_PASSWORD,
    logLevel: config.LOG_LEVEL,
    echo: true,
  });
} catch (error) {
  // Typically PostgreSQL or Redis not answering: the failing process's own output says which.
  process.stderr.write(
    `O cluster não iniciou (PostgreSQL em ${config.DATABASE_URL.replace(/\/\/[^@/]*@/, '//')} e Redis em ${config.REDIS_URL} respondem?):\n${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}

let stopping = false;
for (const member of cluster.members) {
  member.process?.child.once('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`${member.name} saiu (${signal ?? String(code)})\n`);
  });
}
const describe = (kind: string) =>
  cluster.members
    .filter((m) => m.kind === kind)
    .map((m) => `${m.name} ${m.url} pid ${String(m.process?.child.pid ?? '-')}`)
    .join(', ');
process.stdout.write(
  `SCTEC em cluster: agendamento em ${cluster.url} (${describe('scheduler')}), ` +
    `coordenador em ${cluster.coordinatorUrl} (${describe('coordinator')}); ` +
    `PostgreSQL ${config.DATABASE_SCHEMA}, Redis prefixo ${config.LOCK_STORE_PREFIX}. Ctrl-C para sair.\n`,
);

async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await cluster.stop();
  process.exit(0);
}
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
