/**
 * `npm start`: runs SCTEC on the embedded default — servico-coordenador and
 * servico-agendamento as two processes (as in Compose), SQLite under ./data, no external
 * service. Both write the seed's log lines to this console; Ctrl-C stops both gracefully
 * (SIGTERM, SIGKILL after 10 s). When one of them ends, the other is stopped too.
 */
import { fileURLToPath } from 'node:url';
import { launchProcesses } from '@dslab/launcher';
import { inheritedEnvironment, launcherConfig } from './config.js';

/** After SIGTERM, how long a service may take to finish in-flight requests before SIGKILL. */
const STOP_GRACE_MS = 10_000;

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const coordinatorPort = String(launcherConfig.COORDINATOR_PORT);
const schedulerPort = String(launcherConfig.SCHEDULER_PORT);
const dataDir = launcherConfig.DATA_DIR;
const withInherited = (env: Record<string, string>) => ({ ...inheritedEnvironment(), ...env });

launchProcesses({
  processes: [
    {
      name: 'servico-coordenador',
      entry: here('./servico-coordenador/src/main.ts'),
      env: withInherited({ COORDINATOR_PORT: coordinatorPort, DATA_DIR: `${dataDir}/coordenador` }),
    },
    {
      name: 'servico-agendamento',
      entry: here('./servico-agendamento/src/main.ts'),
      env: withInherited({
        SCHEDULER_PORT: schedulerPort,
        DATA_DIR: dataDir,
        COORDINATOR_URL: launcherConfig.COORDINATOR_URL ?? `http://127.0.0.1:${coordinatorPort}`,
      }),
    },
  ],
  // DATA_DIR may be relative: the services resolve it where npm start ran, as the launcher does.
  cwd: process.cwd(),
  stopGraceMs: STOP_GRACE_MS,
  name: 'SCTEC',
  // The seed's log lines already name their service.
  prefixLines: false,
  // No healthUrl: the addresses are printed as soon as both are spawned.
  onReady: () =>
    process.stdout.write(
      `SCTEC: servico-agendamento em http://localhost:${schedulerPort} (cliente web no navegador em /, API HAL em / com Accept: application/json, documentação em /docs), ` +
        `servico-coordenador em http://localhost:${coordinatorPort}. Dados e app.log em ${dataDir}. Ctrl-C para sair.\n`,
    ),
  // The two only make sense together: when one ends, SCTEC ends with its exit code.
  onExitAfterStart: (exit, { stop }) => {
    process.stderr.write(`${exit.name} saiu (${exit.signal ?? String(exit.code)}); encerrando o SCTEC\n`);
    void stop(exit.code ?? 1);
  },
});
