/**
 * Settings of the SCTEC launcher (`npm start`) and demos, parsed once: the only place these
 * scripts read the environment. The services parse their own settings in their config.ts.
 */
import { env, loadConfigOrExit } from '@dslab/config';

export const launcherConfig = loadConfigOrExit(
  {
    COORDINATOR_PORT: env.port('port of servico-coordenador').default(3000),
    SCHEDULER_PORT: env.port('port of servico-agendamento').default(5000),
    DATA_DIR: env
      .string('data directory (SQLite file, app.log; the coordinator uses DATA_DIR/coordenador)')
      .default('./data'),
    COORDINATOR_URL: env
      .url('coordinator URL the scheduler uses', { protocols: ['http', 'https'] })
      .optional(),
    KEEP_DEMO_DATA: env.bool('demos: keep the throwaway data directory for inspection').default(false),
  },
  'sctec',
).config;

/** The environment the launched services inherit (then overridden per service). */
export function inheritedEnvironment(): NodeJS.ProcessEnv {
  return { ...process.env };
}
