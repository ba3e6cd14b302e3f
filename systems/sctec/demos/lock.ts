/**
 * `npm run demo:lock` — seed delivery 3: the coordinator in front of the database.
 * Both services run as real processes; 10 simultaneous bookings of one slot must give one
 * 201 and nine 409, one row, one audit line, and one grant and nine denials at the coordinator.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  appLogLines,
  heading,
  raceOneSlot,
  rowsForSlot,
  scientists,
  slotTomorrow,
  startCoordinator,
  startScheduler,
  summarizeStatuses,
  throwawayDir,
} from './shared.js';
import { launcherConfig } from '../config.js';

const dataDir = throwawayDir('lock');
const coordinatorDir = join(dataDir, 'coordenador');
const coordinator = await startCoordinator(coordinatorDir);
const scheduler = await startScheduler(dataDir, {
  COORDINATOR_URL: coordinator.url,
  // The winner holds the lock for a second, so all ten lock requests reach the coordinator while
  // it is held (each loser's refusal is written to the audit trail first, one at a time on SQLite,
  // which delays the later requests by a few milliseconds each).
  DEMO_DELAY_BEFORE_SAVE_MS: '1000',
});
try {
  const tokens = await scientists(scheduler.url, 10, 'trava');
  const slot = slotTomorrow();
  const recurso = `Hubble-Acad_${slot}`;
  heading(`10 requisições simultâneas para ${recurso} COM o coordenador`);
  const responses = await raceOneSlot(scheduler.url, tokens, slot);
  const rows = await rowsForSlot(dataDir, slot);
  const lines = appLogLines(dataDir);
  const audits = lines.filter((l) => l.startsWith('AUDIT:') && l.includes('AGENDAMENTO_CRIADO'));
  const coordinatorLines = readFileSync(join(coordinatorDir, 'app.log'), 'utf8')
    .split('\n')
    .filter((l) => l.includes(recurso));
  const grants = coordinatorLines.filter((l) => l.includes(`Lock concedido para o recurso ${recurso}`));
  const denials = coordinatorLines.filter((l) => l.includes(`Recurso ${recurso} já em uso, negando lock`));

  heading('Respostas HTTP');
  process.stdout.write(`${summarizeStatuses(responses)}\n`);
  heading('Registros no BD');
  for (const row of rows)
    process.stdout.write(
      `  agendamento ${row.id}: cientista ${row.cientista_id}, ${row.horario_inicio_utc}, ${row.status}\n`,
    );
  heading('servico-agendamento (app.log)');
  for (const line of lines.filter((l) => /lock|Lock|AUDIT|Salvando|Iniciando/.test(l)).slice(0, 16)) {
    process.stdout.write(`  ${line.length > 180 ? `${line.slice(0, 177)}...` : line}\n`);
  }
  heading('servico-coordenador (app.log)');
  for (const line of coordinatorLines.slice(0, 16)) process.stdout.write(`  ${line}\n`);
  heading('Resumo');
  const created = responses.filter((r) => r.status === 201).length;
  const conflicts = responses.filter((r) => r.status === 409).length;
  const ok =
    created === 1 && conflicts === 9 && rows.length === 1 && audits.length === 1 && grants.length === 1;
  process.stdout.write(
    `${created}× 201 Created e ${conflicts}× 409 Conflict; ${rows.length} registro no BD; ${audits.length} log de auditoria; ` +
      `coordenador: ${grants.length} lock concedido, ${denials.length} negados.\n` +
      (ok ? 'Exclusão mútua demonstrada.\n' : 'RESULTADO INESPERADO: veja os logs acima.\n'),
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  await scheduler.stop();
  await coordinator.stop();
  if (!launcherConfig.KEEP_DEMO_DATA) rmSync(dataDir, { recursive: true, force: true });
}
