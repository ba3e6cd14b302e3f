/**
 * `npm run demo:race` — seed delivery 2: the race condition, proven by the logs.
 * A scheduler with every protection switched off (no coordinator lock, no fencing, no unique
 * index) on a throwaway database gets 10 simultaneous bookings of one slot. The 100 ms
 * between check and save stands for real processing time; demo:lock uses the same delay.
 */
import { rmSync } from 'node:fs';
import {
  appLogLines,
  heading,
  raceOneSlot,
  rowsForSlot,
  scientists,
  slotTomorrow,
  startScheduler,
  summarizeStatuses,
  throwawayDir,
} from './shared.js';
import { launcherConfig } from '../config.js';

const dataDir = throwawayDir('race');
const scheduler = await startScheduler(dataDir, {
  UNSAFE_SKIP_LOCK: 'true',
  UNSAFE_SKIP_FENCE: 'true',
  UNSAFE_SKIP_UNIQUE: 'true',
  DEMO_DELAY_BEFORE_SAVE_MS: '100',
});
try {
  const tokens = await scientists(scheduler.url, 10, 'corrida');
  const slot = slotTomorrow();
  heading(`10 requisições simultâneas para Hubble-Acad_${slot} SEM coordenação`);
  const responses = await raceOneSlot(scheduler.url, tokens, slot);
  const rows = await rowsForSlot(dataDir, slot);
  const lines = appLogLines(dataDir);
  const audits = lines.filter((l) => l.startsWith('AUDIT:') && l.includes('AGENDAMENTO_CRIADO'));
  const flow = lines.filter((l) =>
    /Requisição recebida para POST|Iniciando verificação|Salvando novo|AUDIT:/.test(l),
  );

  heading('Respostas HTTP');
  process.stdout.write(`${summarizeStatuses(responses)}\n`);
  heading(`Registros no BD para o horário ${slot}`);
  for (const row of rows)
    process.stdout.write(
      `  agendamento ${row.id}: cientista ${row.cientista_id}, ${row.horario_inicio_utc}, ${row.status}\n`,
    );
  heading('app.log: logs entrelaçados (primeiras 24 linhas do fluxo)');
  for (const line of flow.slice(0, 24))
    process.stdout.write(`  ${line.length > 180 ? `${line.slice(0, 177)}...` : line}\n`);
  heading('Resumo');
  const created = responses.filter((r) => r.status === 201).length;
  process.stdout.write(
    `${created} respostas 201 para UM slot, ${rows.length} registros conflitantes no BD, ${audits.length} logs de auditoria AGENDAMENTO_CRIADO para o mesmo horário.\n` +
      (rows.length > 1
        ? 'Condição de corrida demonstrada: sem exclusão mútua, o "verificar e depois salvar" deixa várias requisições passarem.\n'
        : 'Desta vez a corrida não produziu duplicatas (o escalonamento foi sequencial); rode de novo.\n') +
      `Arquivos: ${dataDir}/app.log e ${dataDir}/sctec.db\n`,
  );
  process.exitCode = rows.length > 1 ? 0 : 1;
} finally {
  await scheduler.stop();
  if (!launcherConfig.KEEP_DEMO_DATA) rmSync(dataDir, { recursive: true, force: true });
}
