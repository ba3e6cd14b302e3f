import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '@dslab/db';
import {
  call,
  countByStatus,
  freePort,
  race,
  spawnService,
  type RaceResponse,
  type ServiceProcess,
} from '@dslab/testing';
import type { SchedulerTables } from '../servico-agendamento/src/index.js';

export const entries = {
  scheduler: fileURLToPath(new URL('../servico-agendamento/src/main.ts', import.meta.url)),
  coordinator: fileURLToPath(new URL('../servico-coordenador/src/main.ts', import.meta.url)),
};

/** A throwaway directory for one demo run. */
export function throwawayDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `sctec-${name}-`));
}

export async function startScheduler(dataDir: string, env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  return spawnService({
    entry: entries.scheduler,
    port,
    env: {
      SCHEDULER_PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      RATE_LIMIT_PER_MINUTE: '0',
      ...env,
    },
  });
}

export async function startCoordinator(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  const port = await freePort();
  return spawnService({
    entry: entries.coordinator,
    port,
    env: { COORDINATOR_PORT: String(port), DATA_DIR: dataDir, ...env },
  });
}

/** Registers `count` scientists and returns their access tokens. */
export async function scientists(url: string, count: number, prefix: string): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const email = `${prefix}${i + 1}@observatorio.example`;
      const created = await call(url, 'POST', '/cientistas', {
        body: { nome: `Cientista ${i + 1}`, email, senha: 'senha-segura-123' },
      });
      if (created.status !== 201) throw new Error(`register failed: ${created.text}`);
      const token = await call<{ access_token: string }>(url, 'POST', '/auth/token', {
        body: { email, senha: 'senha-segura-123' },
      });
      return token.body.access_token;
    }),
  );
}

/** The next slot a day from now, on the 5-minute grid, as the seed writes it. */
export function slotTomorrow(): string {
  const ms = Math.ceil((Date.now() + 86_400_000) / 300_000) * 300_000;
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export function raceOneSlot(url: string, tokens: string[], slot: string): Promise<RaceResponse[]> {
  return race(
    url,
    tokens.map((token) => ({
      method: 'POST' as const,
      path: '/agendamentos',
      headers: { authorization: `Bearer ${token}` },
      body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: slot },
    })),
  );
}

export async function rowsForSlot(dataDir: string, slot: string) {
  const database = await openDatabase<SchedulerTables>({ engine: 'sqlite', file: join(dataDir, 'sctec.db') });
  try {
    const inicio = new Date(slot).toISOString();
    return await database.db
      .selectFrom('agendamentos')
      .select(['id', 'cientista_id', 'horario_inicio_utc', 'status'])
      .where('horario_inicio_utc', '=', inicio)
      .execute();
  } finally {
    await database.close();
  }
}

export function appLogLines(dataDir: string): string[] {
  return readFileSync(join(dataDir, 'app.log'), 'utf8').split('\n').filter(Boolean);
}

export function summarizeStatuses(responses: RaceResponse[]): string {
  return Object.entries(countByStatus(responses))
    .map(([status, n]) => `${n}× ${status}`)
    .join(', ');
}

export function heading(text: string): void {
  process.stdout.write(`\n\x1b[1m== ${text} ==\x1b[0m\n`);
}
