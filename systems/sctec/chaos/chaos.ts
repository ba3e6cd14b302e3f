/**
 * `npm run chaos:sctec`: the chaos run on the cluster topology, first with every protection on
 * (all violation counts must be zero), then with fencing and the last-line constraints off
 * (the checker must find violations, proving it can). Results go to docs/chaos/.
 *
 *   npm run chaos:sctec -- [--mode both|safe|unsafe] [--duration 45] [--clients 24] [--slots 6] [--seed 7]
 *
 * Exits non-zero when the safe run has a violation or the unsafe run found none.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadEngineConfig } from '../cluster/config.js';
import { renderMarkdown, verdict } from './report.js';
import { runChaos, type ChaosMode, type ChaosReport } from './run.js';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'both' },
    duration: { type: 'string', default: '45' },
    clients: { type: 'string', default: '24' },
    slots: { type: 'string', default: '6' },
    seed: { type: 'string', default: '7' },
    out: { type: 'string', default: fileURLToPath(new URL('../../../docs/chaos', import.meta.url)) },
  },
});
const positive = (name: string, text: string | undefined): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) {
    process.stderr.write(`--${name} must be a positive integer (got ${String(text)})\n`);
    process.exit(2);
  }
  return n;
};
const modes: ChaosMode[] =
  values.mode === 'both'
    ? ['safe', 'unsafe']
    : values.mode === 'safe' || values.mode === 'unsafe'
      ? [values.mode]
      : [];
if (modes.length === 0) {
  process.stderr.write(`--mode must be both, safe or unsafe (got ${values.mode})\n`);
  process.exit(2);
}
const durationMs = positive('duration', values.duration) * 1000;
const clients = positive('clients', values.clients);
const hotSlots = positive('slots', values.slots);
const seed = positive('seed', values.seed);

const { config, notes } = loadEngineConfig();
for (const note of notes) process.stdout.write(`${note}\n`);

const reports: ChaosReport[] = [];
for (const mode of modes) {
  const report = await runChaos({
    mode,
    durationMs,
    clients,
    hotSlots,
    seed,
    databaseUrl: config.DATABASE_URL,
    redisUrl: config.REDIS_URL,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  reports.push(report);
  process.stdout.write(`chaos ${mode}: ${verdict(report)}\n${JSON.stringify(report.violations)}\n`);
  for (const example of report.examples) process.stdout.write(`  ${example}\n`);
}

const out = values.out;
mkdirSync(out, { recursive: true });
const command = `npm run chaos:sctec -- --mode ${values.mode} --duration ${durationMs / 1000} --clients ${clients} --slots ${hotSlots} --seed ${seed}`;
writeFileSync(
  join(out, 'sctec.json'),
  `${JSON.stringify({ date: new Date().toISOString(), command, reports }, null, 2)}\n`,
);
writeFileSync(join(out, 'sctec.md'), renderMarkdown(reports, { date: new Date().toISOString(), command }));
process.stdout.write(`results written to ${join(out, 'sctec.md')} and sctec.json\n`);

const failed = reports.some((r) => (r.mode === 'safe' ? r.totalViolations > 0 : r.totalViolations === 0));
process.exit(failed ? 1 : 0);
