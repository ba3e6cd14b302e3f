/**
 * `npm run datagen -- [--seed N] [--out PATH] [--clientes N] [--produtos N] [--pedidos N] [--now ISO]`
 *
 * Writes the seed's ecommerce.db with pt_BR fake data and prints what it wrote. Exit status: 0 on
 * success, 2 on a bad command line, 1 when the file cannot be written.
 */
import { resolve } from 'node:path';
import { createFaker } from './faker.js';
import { generateDataset, summarize, type Summary } from './generate.js';
import { HELP, parseOptions, UsageError, type Options } from './options.js';
import { writeDatabase } from './write.js';

function fail(status: number, message: string): never {
  process.stderr.write(`datagen: ${message}\n`);
  if (status === 2) process.stderr.write('run with --help for the options\n');
  process.exit(status);
}

let options: Options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) fail(2, error.message);
  throw error;
}

if (options.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

const nowMs = options.now === 'wall-clock' ? Date.now() : options.now;
const out = resolve(options.out);
const dataset = generateDataset(createFaker(options.seed), options.sizes, nowMs);
try {
  const { replaced } = writeDatabase(out, dataset);
  if (replaced) process.stdout.write(`existing database ${out} removed\n`);
} catch (error) {
  fail(1, `cannot write ${out}: ${error instanceof Error ? error.message : String(error)}`);
}
process.stdout.write(report(out, options.seed, nowMs, summarize(dataset)));

function report(file: string, seed: number, now: number, s: Summary): string {
  const pct = (rate: number) => `${(rate * 100).toFixed(1)} %`;
  const list = (tally: Record<string, number>) =>
    Object.entries(tally)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, count]) => `${key} ${count}`)
      .join(', ');
  const pad = (name: string, count: number) => `  ${name.padEnd(14)}${String(count).padStart(8)}`;
  return [
    `wrote ${file} (seed ${seed}, now ${new Date(now).toISOString()})`,
    pad('clientes', s.counts.clientes),
    pad('produtos', s.counts.produtos),
    pad('pedidos', s.counts.pedidos),
    pad('itens_pedido', s.counts.itens_pedido),
    `${pad('pagamentos', s.counts.pagamentos)}  ${pct(s.pagamentoRate)} of pedidos (aprovado ${s.pagamentosAprovados}, rejeitado ${s.pagamentosRejeitados})`,
    `${pad('notas_fiscais', s.counts.notas_fiscais)}  ${pct(s.notaFiscalRate)} of approved payments`,
    `${pad('envios', s.counts.envios)}  ${pct(s.envioRate)} of notas fiscais`,
    `  pedido status: ${list(s.pedidoStatus)}`,
    `  envio status:  ${list(s.envioStatus)}`,
    `  metodo:        ${list(s.metodos)}`,
    '',
  ].join('\n');
}
