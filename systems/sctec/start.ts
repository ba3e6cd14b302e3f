/**
 * `npm start`: runs SCTEC on the embedded default — servico-coordenador and
 * servico-agendamento as two processes (as in Compose), SQLite under ./data, no external
 * service. Both write the seed's log lines to this console; Ctrl-C stops both gracefully.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inheritedEnvironment, launcherConfig } from './config.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const coordinatorPort = String(launcherConfig.COORDINATOR_PORT);
const schedulerPort = String(launcherConfig.SCHEDULER_PORT);
const dataDir = launcherConfig.DATA_DIR;

function start(name: string, entry: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', here(entry)], {
    stdio: 'inherit',
    env: { ...inheritedEnvironment(), ...env },
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`${name} saiu (${signal ?? String(code)}); encerrando o SCTEC\n`);
      stop(code ?? 1);
    }
  });
  return child;
}

let stopping = false;
const children: ChildProcess[] = [];
function stop(code: number): void {
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  const timer = setTimeout(() => process.exit(code), 12_000);
  timer.unref();
  Promise.all(
    children.filter((c) => c.exitCode === null).map((c) => new Promise((resolve) => c.once('exit', resolve))),
  )
    .then(() => process.exit(code))
    .catch(() => process.exit(1));
}

children.push(
  start('servico-coordenador', './servico-coordenador/src/main.ts', {
    COORDINATOR_PORT: coordinatorPort,
    DATA_DIR: `${dataDir}/coordenador`,
  }),
);
children.push(
  start('servico-agendamento', './servico-agendamento/src/main.ts', {
    SCHEDULER_PORT: schedulerPort,
    DATA_DIR: dataDir,
    COORDINATOR_URL: launcherConfig.COORDINATOR_URL ?? `http://127.0.0.1:${coordinatorPort}`,
  }),
);
process.stdout.write(
  `SCTEC: servico-agendamento em http://localhost:${schedulerPort} (cliente web no navegador em /, API HAL em / com Accept: application/json, documentação em /docs), ` +
    `servico-coordenador em http://localhost:${coordinatorPort}. Dados e app.log em ${dataDir}. Ctrl-C para sair.\n`,
);
process.once('SIGINT', () => stop(0));
process.once('SIGTERM', () => stop(0));
