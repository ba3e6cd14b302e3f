import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeCharts, type ChartFile } from '@dslab/bench-kit';
import {
  analyzeResults,
  BUSINESS_CANCEL_REASONS,
  isBusinessCancellation,
  recoveryAfter,
  recoveryOf,
} from '../src/report/analysis.js';
import { CHART_NAMES, reportCharts } from '../src/report/charts.js';
import { countCodeLines, globToRegExp, measureCodeSize } from '../src/report/code-size.js';
import {
  parseReportArguments,
  readResults,
  reportCommand,
  writeReport,
  type CheckoutBench,
} from '../src/report/command.js';
import { renderReport, reproduceCommand } from '../src/report/markdown.js';
import { reasonOf } from '../src/drivers.js';
import type { CheckoutBenchResults } from '../src/results.js';
import {
  KILL,
  LATENCY,
  mutableCopy,
  PAUSE,
  REJECTED,
  steadyTimeline,
  syntheticResults,
  UNREACHABLE,
} from './fixtures.js';

/** ChartFiles as writeCharts would name them, without rendering (for the pure tests). */
function chartFiles(results: CheckoutBenchResults): ChartFile[] {
  return reportCharts(results).map((c) => ({ name: c.name, svg: `${c.file}.svg`, png: `${c.file}.png` }));
}

function render(results: CheckoutBenchResults): string {
  return renderReport(results, chartFiles(results));
}

/** The report's text with the Markdown tables' and emphasis' noise left as is: just search it. */
function assertIncludes(text: string, fragment: string): void {
  assert.ok(text.includes(fragment), `expected the report to contain:\n  ${fragment}`);
}

/** The text of one fault scenario (4.5.n), up to the next heading of its level or above. */
function scenarioText(text: string, n: number): string {
  const start = text.indexOf(`#### 4.5.${n} `);
  assert.ok(start >= 0, `no scenario 4.5.${n}`);
  const next = text.slice(start + 1).search(/\n#{2,4} /);
  return next < 0 ? text.slice(start) : text.slice(start, start + 1 + next);
}

function assertClean(text: string): void {
  for (const bad of ['NaN', 'undefined', 'Infinity', '[object Object]'])
    assert.ok(!text.includes(bad), `the report contains "${bad}"`);
  assert.doesNotMatch(text, /\bnull\b/, 'the report contains "null"');
}

const quiet = () => undefined;

describe('renderReport', () => {
  const results = syntheticResults();
  const text = render(results);

  test('when rendered, then it has the seed §6 sections in order, plus the audit and how to reproduce', () => {
    const headings = [
      '## 1. Introdução',
      '## 2. Arquiteturas',
      '## 3. Implementação',
      '## 4. Resultados dos Testes',
      '### 4.1 Latência vs. carga',
      '### 4.2 Vazão e goodput',
      '### 4.3 Modelo aberto vs. modelo fechado',
      '### 4.4 Recursos: CPU e memória por processo',
      '### 4.5 Falhas injetadas',
      '## 5. Análise Comparativa',
      '### 5.1 Complexidade de implementação e manutenção',
      '### 5.2 Acoplamento entre serviços',
      '### 5.3 Escalabilidade (horizontal e vertical)',
      '### 5.4 Resiliência a falhas',
      '### 5.5 Performance',
      '### 5.6 Observabilidade e monitoramento',
      '## 6. Conclusão',
      '## 7. Auditoria',
      '## 8. Como reproduzir',
    ];
    let from = 0;
    for (const heading of headings) {
      const at = text.indexOf(heading, from);
      assert.ok(at >= 0, `missing or out of order: ${heading}`);
      from = at;
    }
    assert.equal(text.match(/```mermaid/g)?.length, 2, 'one diagram per architecture');
    assertIncludes(text, '(checkout.md)');
    assertIncludes(text, '(checkout-async.md)');
  });

  test('when rendered, then no NaN, undefined or null reaches the text', () => {
    assertClean(text);
  });

  test('when rendered, then every chart is referenced once, with its PNG and its SVG', () => {
    for (const chart of chartFiles(results)) {
      assertIncludes(text, `![${chart.name}](relatorio-checkout/${chart.png})`);
      assertIncludes(text, `(relatorio-checkout/${chart.svg})`);
    }
    assert.equal(text.match(/!\[/g)?.length, chartFiles(results).length);
  });

  test('when a chart was not rendered, then the report says so in its place', () => {
    const partial = renderReport(
      results,
      chartFiles(results).filter((c) => c.name !== CHART_NAMES.latency),
    );
    assertIncludes(partial, `_(O gráfico “${CHART_NAMES.latency}” não foi gerado nesta execução.)_`);
    assertClean(partial);
  });

  test('when rendered, then the low-load latencies and the fastest transport are the fixture’s', () => {
    assertIncludes(
      text,
      'p50 ponta a ponta gRPC 4,20 ms (a 10/s), REST 5,60 ms (a 10/s) e assíncrono 35,0 ms (a 10/s); o menor foi o do **gRPC**',
    );
    // 5.6 / 4.2 = 1.33 ≤ … the slowest (async, 35 ms) is 8.33× the fastest.
    assertIncludes(text, 'o do assíncrono foi 8,33× maior');
    // async 35 ms ÷ gRPC 4.2 ms; the 202 itself 2.1 / 6.3 ms.
    assertIncludes(
      text,
      'Como o seed prevê, a cadeia síncrona responde mais rápido com pouca carga: o pedido assíncrono levou 8,33× o tempo do gRPC',
    );
    assertIncludes(text, 'o 202, em compensação, chegou com p50 2,10 ms e p99 6,30 ms');
    // 202 → final: 35 − 2.1 = 32.9 ms and 90 − 6.3 = 83.7 ms at the lowest rate; a column of its own.
    assertIncludes(text, 'do 202 ao status final, p50 32,9 ms e p99 83,7 ms');
    assertIncludes(text, '| 202 p50 / p99 | 202 → final p50 / p99 |');
    // Baseline: 4.2 / 1.1 = 3.82×.
    assertIncludes(
      text,
      'fez 9.000/s com p50 1,10 ms e p99 4,50 ms; o p50 do gRPC em baixa carga é 3,82× isso',
    );
  });

  test('when rendered, then the knees, the step after them and the common-rate p99 ratio come from the fixture', () => {
    assertIncludes(
      text,
      '- **gRPC:** joelho em 40/s (critério registrado: “p99 1500 ms > 1000 ms at 80/s”). No degrau de 80/s: p50 30,0 ms, p99 1.500 ms, vazão 72/s, 12 erros (1,5 % dos pedidos terminados).',
    );
    assertIncludes(
      text,
      '- **assíncrono:** todos os degraus atenderam aos critérios; o joelho está acima da maior taxa medida, 80/s',
    );
    assertIncludes(text, 'O assíncrono sustentou a maior taxa dentro do alvo (80/s).');
    assertIncludes(
      text,
      '**Joelho** (maior taxa com p99 ≤ 1.000 ms, erros e vazão dentro dos critérios): gRPC 40/s, REST 40/s e assíncrono ≥ 80/s.',
    );
    assertIncludes(
      text,
      'O assíncrono aguentou mais carga antes de estourar o alvo do que a cadeia síncrona',
    );
    // At 80/s: 1500, 2400, 300 ms → 2400 / 300 = 8.
    assertIncludes(
      text,
      'o p99 foi 1.500 ms no gRPC, 2.400 ms no REST e 300 ms no assíncrono: o maior é 8,00× o menor.',
    );
  });

  test('when rendered, then the closed model is compared with the open step nearest its throughput', () => {
    // gRPC: 16 clients → 70/s, p99 450 ms; nearest open step 80/s, p99 1500 ms.
    assertIncludes(
      text,
      '- **gRPC:** com 16 clientes, 70/s e p99 450 ms; no modelo aberto a 80/s (a taxa medida mais próxima), p99 1.500 ms: o modelo fechado mostra uma cauda menor',
    );
    // REST: 16 clients → 55/s; the nearest open step (40/s) is 27 % away: not comparable.
    assertIncludes(
      text,
      '- **REST:** nenhum degrau do modelo aberto teve taxa a menos de 25 % da maior vazão do fechado (55/s com 16 clientes): as caudas não são comparáveis.',
    );
    // Little: 16 / 70 = 228.57 ms.
    assertIncludes(text, '| gRPC | 16 | 700 | 70/s | 200 ms | 450 ms | 250 ms | 229 ms | 0 |');
  });

  test('when rendered, then CPU and memory per process are the knee step’s', () => {
    // gRPC knee 40/s: pedidos 0.6 × 40 = 24 %.
    assertIncludes(text, '| gRPC | `pedidos` | 24 % | 36 % | 100 MiB |');
    // async at 80/s (its knee): worker-pedidos 0.5 × 80 = 40 %.
    assertIncludes(text, '| assíncrono | `worker-pedidos` | 40 % | 60 % |');
    // Machine: gRPC 64 + 32 + 0.8 + 6 + 5 = 107.8 % of 400 %; async 192 + 128 + 40 + 12 + 5 = 377 %.
    assertIncludes(
      text,
      '- **gRPC** a 40/s: o processo mais ocupado foi `pedidos` (24 %). A máquina inteira estava em 27 % da sua CPU: a CPU não se esgotou',
    );
    assertIncludes(text, 'A máquina inteira estava em 94 % da sua CPU: a CPU era o limite.');
  });

  test('when rendered, then each fault scenario has its events, lost orders, recovery and audit', () => {
    assertIncludes(text, `#### 4.5.1 Falha \`${KILL}\``);
    assertIncludes(text, `#### 4.5.2 Falha \`${PAUSE}\``);
    assertIncludes(text, `#### 4.5.3 Atraso num salto: \`${LATENCY}\``);
    // The rule is named once, with the business reasons and the tolerance.
    assertIncludes(
      text,
      'ou `cancelado` por um motivo que não é uma recusa de negócio (`pagamento rejeitado` e `estoque insuficiente` acontecem também sem falha e não contam)',
    );
    assertIncludes(
      text,
      'a parcela de `enviado` entre os terminados chegou à da referência menos 15 pontos percentuais',
    );
    // gRPC: 70 of its 94 cancellations are `pagamento não processado`, no error; the 20/s step ships 90 %.
    assertIncludes(
      text,
      '- **gRPC:** SIGKILL em `pagamentos` aos 5,0 s, de volta e saudável em 8,4 s. Perdeu 70 de 300 pedidos (23 %; sem falha, 0 %): 70 cancelados por motivo que não é recusa de negócio (`pagamento não processado` 70). Nos segundos em que o serviço estava fora do ar chegaram 80 pedidos e terminaram 8 `enviado`, 72 `cancelado` e 0 erros. Recuperação 0,6 s após a volta do serviço: o segundo que começa em 9,0 s teve 90 % de `enviado` entre os pedidos terminados e nenhum erro (limiar 75 %).',
    );
    assertIncludes(
      text,
      '`enviado` 206, `cancelado` 94 (24 por recusa de negócio), 0 erros; goodput 13,4/s (sem falha 17,8/s)',
    );
    // REST: 50 cancelled by the fault and 24 errors; the second after the restore still errs.
    assertIncludes(
      text,
      'Perdeu 74 de 300 pedidos (25 %; sem falha, 0 %): 50 cancelados por motivo que não é recusa de negócio (`pagamento não processado` 50) e 24 erros (`http-503` 20, `ECONNRESET` 4).',
    );
    assertIncludes(text, 'Recuperação 1,4 s após a volta do serviço: o segundo que começa em 10,0 s');
    assertIncludes(
      text,
      '- **assíncrono:** SIGKILL em `worker-pagamentos` aos 5,0 s, de volta e saudável em 8,5 s. Nenhum pedido perdido (nenhum erro, nenhum cancelamento causado pela falha). Nos segundos em que o serviço estava fora do ar chegaram 80 pedidos e terminaram 4 `enviado`, 4 `cancelado` e 0 erros. Recuperação 0,5 s após a volta do serviço',
    );
    assertIncludes(
      text,
      '| gRPC | 300 | 206 | 24 / 70 | 0 | 70 (23 %) | 13,4/s (17,8/s) | 0,6 s | 120 ms (15,0 ms) | 120 ms | 0 |',
    );
    assertIncludes(
      text,
      'SIGSTOP em `estoque` aos 3,2 s (quando o contador `payments` da fase estava em 60), retomado (SIGCONT) em 5,2 s',
    );
    assertIncludes(
      text,
      'Pedidos perdidos (erros e cancelamentos causados pela falha, sobre os pedidos da fase): gRPC 70 (23 %), REST 74 (25 %) e assíncrono 0 (0 %). Menos pedidos perdidos: assíncrono (0).',
    );
    assertIncludes(
      text,
      'O gRPC não registrou nenhum erro e ainda assim perdeu vendas: a falha virou cancelamento limpo (`pagamento não processado` 70)',
    );
    // p99 120 / 15, 150 / 22, 3800 / 95.
    assertIncludes(
      text,
      'p99 da fase em relação à mesma taxa sem falha: gRPC 8,00× (120 ms contra 15,0 ms), REST 6,82× (150 ms contra 22,0 ms) e assíncrono 40,0× (3.800 ms contra 95,0 ms).',
    );
    assertIncludes(
      text,
      'O assíncrono atrasou em vez de perder: perdeu menos pedidos que os outros (0), e o seu p99 chegou a 40,0× o de sem falha.',
    );
    assertIncludes(text, 'e o custo aparece na latência ponta a ponta (pior segundo com p99 3.800 ms).');
    // Latency phase: p99 320 vs 15 ms at 20/s without delay.
    assertIncludes(text, 'p99 com o atraso em relação à mesma taxa sem atraso: gRPC 21,3×');
    assertIncludes(
      text,
      `- **Falha \`${KILL}\`:** pedidos perdidos (erros e cancelamentos causados pela falha) gRPC 70 de 300, REST 74 de 300 e assíncrono 0 de 300; p99 da fase 120 ms no gRPC (15,0 ms sem falha), 150 ms no REST (22,0 ms sem falha) e 3.800 ms no assíncrono (95,0 ms sem falha).`,
    );
    assert.ok(!text.includes('Nenhum transporte perdeu pedidos nesta falha'));
  });

  test('when rendered, then 5.2, 5.4 and the conclusion compare the transports by lost orders and p99', () => {
    assertIncludes(
      text,
      `Medido nas falhas injetadas (pedidos perdidos na fase — erros e cancelamentos causados pela falha — e o p99 da fase): \`${KILL}\`: gRPC 70 (p99 120 ms), REST 74 (p99 150 ms) e assíncrono 0 (p99 3.800 ms)`,
    );
    assertIncludes(
      text,
      'o acoplamento apareceu nos números: a cadeia síncrona perdeu pedidos, e o assíncrono perdeu menos e os atrasou.',
    );
    assertIncludes(text, `| \`${KILL}\` | gRPC | 70 (23 %) | 0 | 70 | 120 ms (15,0 ms) | 0,6 s | 0 |`);
    assertIncludes(
      text,
      `Nas falhas medidas: \`${KILL}\`: o assíncrono perdeu menos pedidos (0, contra 70 no gRPC e 74 no REST), com p99 da fase de 3.800 ms contra 120 ms e 150 ms;`,
    );
    assertIncludes(
      text,
      `- **Falhas e picos:** o assíncrono perdeu menos pedidos (erros e cancelamentos causados pela falha) que a cadeia síncrona em 2 de 2 falhas (\`${KILL}\`: gRPC 70, REST 74 e assíncrono 0;`,
    );
    assertIncludes(text, `pagando em latência (p99 3.800 ms contra 95,0 ms sem falha em \`${KILL}\`;`);
  });

  test('when rendered, then the code size table and the ratio between the variants come from codeSize', () => {
    assertIncludes(
      text,
      '| só assíncrono: mensagens, workers, `entry-points/broker.ts`, saga, redrive, outbox, messaging, deployables | 2 | 4.100 |',
    );
    // gRPC 1200 + 420, REST 950 + 420, async 4100 → 4100 / 1370 = 2.99.
    assertIncludes(
      text,
      'gRPC 1.620 linhas, REST 1.370 linhas e assíncrono 4.100 linhas. O assíncrono precisa de 2,99× o código do REST.',
    );
  });

  test('when rendered, then the audit, machine, versions and the command that repeats the run are stated', () => {
    assertIncludes(text, 'nenhuma violação de invariante e nenhum pedido sem desfecho');
    assertIncludes(
      text,
      '| open 10/s | enviado 90, cancelado 10 | aprovado 90, rejeitado 10 | 50.000 = 49.820 + 0 + 180 ✓ |',
    );
    assertIncludes(text, 'Node v20.20.2, PostgreSQL 15.14, RabbitMQ 3.12.1');
    assertIncludes(text, 'cpu, 4 cores, 8.0 GiB');
    assertIncludes(text, `--fault '${KILL}' --fault '${PAUSE}' --latency ${LATENCY}`);
    assertIncludes(text, 'npm run report:checkout -- --from docs/benchmarks/checkout/checkout.json');
  });

  test('when a fixture value changes, then the sentence that depends on it changes', () => {
    const slower = mutableCopy(results);
    const grpc = slower.transports[0];
    assert.ok(grpc !== undefined);
    const step = grpc.open.steps[0];
    assert.ok(step !== undefined);
    step.endToEnd.p50 = 50;
    const changed = render(slower);
    assertIncludes(changed, 'o menor foi o do **REST**');
    assertIncludes(changed, 'gRPC 50,0 ms (a 10/s)');
    assert.ok(!changed.includes('gRPC 4,20 ms'));
    assertClean(changed);
  });

  test('when the async transport errs more than the sync ones in a fault, then the reading stops crediting the queue', () => {
    const changed = mutableCopy(results);
    const asyncKill = changed.transports[2]?.faults[0];
    assert.ok(asyncKill !== undefined);
    asyncKill.errors = 90;
    asyncKill.errorsByKind = { 'http-503': 90 };
    const text2 = render(changed);
    assertIncludes(text2, 'O assíncrono também registrou erros (`http-503` 90)');
    assertIncludes(text2, 'Menos pedidos perdidos: gRPC (70).');
    assertIncludes(text2, 'O assíncrono perdeu mais pedidos (90) que o gRPC e o REST nesta falha.');
    // gRPC lost the fewest, but 23 % of its orders: it did not delay instead of losing.
    assert.ok(!scenarioText(text2, 1).includes('atrasou em vez de perder'));
    assertIncludes(
      text2,
      'o assíncrono perdeu menos pedidos (erros e cancelamentos causados pela falha) que a cadeia síncrona em 1 de 2 falhas',
    );
  });

  test('when both sync transports cancel cleanly under the fault and async ships late, then the text names what each lost', () => {
    const changed = mutableCopy(results);
    const restKill = changed.transports[1]?.faults[0];
    assert.ok(restKill !== undefined);
    // REST's 24 errors become clean cancellations with a reason of its own.
    restKill.errors = 0;
    restKill.errorsByKind = {};
    restKill.cancelled += 24;
    restKill.cancelledByReason = { ...restKill.cancelledByReason, 'pagamentos indisponível': 24 };
    restKill.timeline = restKill.timeline.map((b) => ({
      ...b,
      cancelled: b.cancelled + b.errors,
      errors: 0,
    }));
    const text2 = render(changed);
    assertIncludes(
      text2,
      'O gRPC e o REST não registraram nenhum erro e ainda assim perderam vendas: a falha virou cancelamento limpo (`pagamento não processado` 120, `pagamentos indisponível` 24), o pedido recusado e compensado.',
    );
    assertIncludes(
      text2,
      'Perdeu 74 de 300 pedidos (25 %; sem falha, 0 %): 74 cancelados por motivo que não é recusa de negócio (`pagamento não processado` 50, `pagamentos indisponível` 24).',
    );
    // Without errors, the second after the restore is back: 16 shipped of 20 ended (80 % ≥ 75 %).
    assertIncludes(
      text2,
      'Recuperação 0,4 s após a volta do serviço: o segundo que começa em 9,0 s teve 80 % de `enviado`',
    );
    assertIncludes(text2, 'Menos pedidos perdidos: assíncrono (0).');
    assertClean(text2);
  });

  test('when the fault costs async orders too and its p99 stays, then it is no longer said to delay instead of losing', () => {
    const changed = mutableCopy(results);
    const asyncKill = changed.transports[2]?.faults[0];
    assert.ok(asyncKill !== undefined);
    asyncKill.cancelledByReason = { [REJECTED]: 3, [UNREACHABLE]: 30 };
    asyncKill.endToEnd.p99 = 150;
    const text2 = render(changed);
    assertIncludes(
      text2,
      'gRPC 70 (23 %), REST 74 (25 %) e assíncrono 30 (10 %). Menos pedidos perdidos: assíncrono (30).',
    );
    assertIncludes(text2, 'assíncrono 1,58× (150 ms contra 95,0 ms)');
    const kill = scenarioText(text2, 1);
    assert.ok(!kill.includes('atrasou em vez de perder'));
    assert.ok(!kill.includes('e o custo aparece na latência'));
    assertIncludes(
      text2,
      'no assíncrono o pedido é aceito (202) e pode esperar na fila até o serviço voltar.',
    );
  });

  test('when no transport loses an order in a fault, then the text says so and credits none', () => {
    const changed = mutableCopy(results);
    for (const t of changed.transports)
      for (const f of t.faults.slice(0, 2)) {
        f.cancelled += f.errors;
        f.cancelledByReason = { [REJECTED]: f.cancelled };
        f.errors = 0;
        f.errorsByKind = {};
      }
    const text2 = render(changed);
    assertIncludes(
      text2,
      'Nenhum transporte perdeu pedidos nesta falha: não houve erro, e todo cancelamento teve um motivo de negócio.',
    );
    assertIncludes(
      text2,
      '- **Falhas e picos:** nenhum transporte perdeu pedidos nas falhas injetadas nesta execução',
    );
    assert.ok(!text2.includes('Menos pedidos perdidos'));
    assertClean(text2);
  });

  test('when the restore comes too late or the shipped share never comes back, then the recovery says so', () => {
    const changed = mutableCopy(results);
    const [grpcKill] = changed.transports[0]?.faults ?? [];
    const [restKill] = changed.transports[1]?.faults ?? [];
    assert.ok(grpcKill !== undefined && restKill !== undefined);
    const event = grpcKill.faults[0];
    assert.ok(event !== undefined);
    event.restoredAtS = 14.2;
    // REST: every second after the restore ends cancelled, cleanly.
    restKill.timeline = restKill.timeline.map((b) =>
      b.t >= 9 ? { ...b, shipped: 0, cancelled: b.shipped + b.cancelled + b.errors, errors: 0 } : b,
    );
    const text2 = render(changed);
    assertIncludes(
      text2,
      'O serviço voltou aos 14,2 s e os envios pararam aos 15,0 s: não sobrou um segundo inteiro de envios depois da volta, e a fase terminou cedo demais para medir a recuperação.',
    );
    assertIncludes(
      text2,
      'Até o fim dos envios (15,0 s) nenhum segundo inteiro depois da volta do serviço atingiu o critério de recuperação (75 % de `enviado` entre os terminados, sem erros).',
    );
    assertIncludes(text2, '| gRPC | 300 | 206 | 24 / 70 | 0 | 70 (23 %) | 13,4/s (17,8/s) | — |');
    assertClean(text2);
  });

  test('when the audit found violations, then they are counted and listed under their phase', () => {
    const changed = mutableCopy(results);
    const step = changed.transports[1]?.open.steps[2];
    assert.ok(step !== undefined);
    step.audit.violations = ['pedido 17: dois pagamentos', 'estoque: inicial 50000 ≠ 49990 + 0 + 20'];
    step.audit.unsettled = 3;
    const text2 = render(changed);
    assertIncludes(text2, '**Auditoria:** 2 violações e 3 pedidos sem desfecho ao todo');
    assertIncludes(
      text2,
      '- Fase `open 40/s`:\n  - pedido 17: dois pagamentos\n  - estoque: inicial 50000 ≠ 49990 + 0 + 20\n  - 3 pedidos sem desfecho ao fim da espera',
    );
    assertIncludes(text2, 'A auditoria encontrou 2 violações (seção 7)');
  });

  test('when only one transport ran, with no closed runs, no faults and an empty step, then the report still reads cleanly', () => {
    const small = mutableCopy(results);
    small.transports = small.transports.slice(0, 1);
    const only = small.transports[0];
    assert.ok(only !== undefined);
    only.closed = [];
    only.faults = [];
    only.open.kneeRate = null;
    only.open.kneeReason = 'p99 2000 ms > 1000 ms at 10/s';
    const first = only.open.steps[0];
    assert.ok(first !== undefined);
    first.endToEnd = { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
    small.settings.transports = ['grpc'];
    small.settings.faults = [];
    small.settings.latency = null;
    small.settings.concurrencies = [];
    small.codeSize = {};
    const text2 = render(small);
    assertClean(text2);
    assertIncludes(text2, '- **gRPC:** nenhum degrau atendeu ao alvo de p99 1.000 ms');
    assertIncludes(text2, 'Nenhuma falha foi injetada nesta execução.');
    assertIncludes(text2, '--no-faults');
    assert.ok(!text2.includes('### 4.3'), 'no closed-model section without closed runs');
  });
});

describe('analysis', () => {
  test('when the first second back comes, then recovery is counted from the restore by the shipped share, not by the absence of errors', () => {
    const phase = syntheticResults().transports[0]?.faults[0];
    assert.ok(phase !== undefined);
    assert.equal(recoveryAfter(phase, 8.4, 0.9)?.toFixed(1), '0.6');
    assert.equal(recoveryAfter(phase, null, 0.9), null);
    assert.deepEqual(recoveryOf(phase, null, 0.9), { status: 'not-restored' });
    // Seconds without errors in which every order ends cancelled are not "recovered".
    const cancelling = {
      ...phase,
      timeline: steadyTimeline(15, 20, 10, (t) => (t >= 5 && t < 12 ? { shipped: 0, cancelled: 20 } : {})),
    };
    assert.equal(recoveryAfter(cancelling, 8.4, 0.9), 12 - 8.4);
    // 14 of 20 shipped (70 %) is within 15 points of 80 %, not of 90 %.
    const partly = {
      ...phase,
      timeline: steadyTimeline(15, 20, 10, (t) => (t >= 5 ? { shipped: 14, cancelled: 6 } : {})),
    };
    assert.equal(recoveryAfter(partly, 8.4, 0.8)?.toFixed(1), '0.6');
    assert.equal(recoveryAfter(partly, 8.4, 0.9), null);
    assert.deepEqual(recoveryOf(partly, 8.4, 0.9), { status: 'not-recovered' });
    // A second where nothing ended (the orders wait in a queue) is not recovered either.
    const waiting = {
      ...phase,
      timeline: steadyTimeline(15, 20, 10, (t) => (t < 11 && t >= 5 ? { shipped: 0, cancelled: 0 } : {})),
    };
    assert.equal(recoveryAfter(waiting, 8.4, 0.9), 11 - 8.4);
    // An error in the second is not recovered, whatever shipped.
    const never = { ...phase, timeline: steadyTimeline(15, 20, 10, () => ({ errors: 1 })) };
    assert.deepEqual(recoveryOf(never, 8.4, 0.9), { status: 'not-recovered' });
    // Sending stops at 15 s: a restore after 14 s leaves no whole second to judge.
    assert.deepEqual(recoveryOf(phase, 14.2, 0.9), { status: 'too-soon' });
    assert.equal(recoveryOf(phase, 14, 0.9).status, 'recovered');
    assert.deepEqual(recoveryOf(phase, 8.4, null), { status: 'no-baseline' });
  });

  test('when the reasons are split, then the business refusals are the heads pedidos writes for a declined payment and missing stock', () => {
    assert.deepEqual(
      BUSINESS_CANCEL_REASONS.map((r) => isBusinessCancellation(r)),
      [true, true],
    );
    assert.ok(isBusinessCancellation(reasonOf('pagamento rejeitado: saldo insuficiente')));
    assert.ok(isBusinessCancellation(reasonOf('estoque insuficiente: produto 3 (faltam 2)')));
    for (const motivo of [
      'pagamento não processado: connect ECONNREFUSED',
      'estoque não separado: x',
      'pagamento sem resposta: deadline',
      'pagamentos indisponível',
      null,
    ])
      assert.ok(!isBusinessCancellation(reasonOf(motivo)), `${String(motivo)} is not a business refusal`);
  });

  test('when a fault phase is analysed, then lost = errors + cancellations for other reasons, against the reference', () => {
    const a = analyzeResults(syntheticResults());
    const kill = a.faultScenarios[0];
    assert.ok(kill !== undefined);
    assert.deepEqual(
      kill.byTransport.map((f) => [f.transport, f.errors, f.businessCancelled, f.faultCancelled, f.lost]),
      [
        ['grpc', 0, 24, 70, 70],
        ['rest', 24, 24, 50, 74],
        ['async', 0, 33, 0, 0],
      ],
    );
    const [grpc] = kill.byTransport;
    assert.ok(grpc !== undefined);
    assert.equal(grpc.lostShare?.toFixed(4), (70 / 300).toFixed(4));
    assert.ok(grpc.reference !== null);
    assert.equal(grpc.reference.lost, 0);
    assert.equal(grpc.reference.shippedShare, 0.9);
    assert.equal(grpc.recoveryThreshold?.toFixed(2), '0.75');
    assert.equal(grpc.recoveryBaseline, 'reference');
    assert.deepEqual(grpc.faultCancelledByReason, [[UNREACHABLE, 70]]);
    assert.equal(grpc.p99Ratio, 8);
    assert.deepEqual(
      kill.byTransport.map((f) => f.recoveredAfterS?.toFixed(1)),
      ['0.6', '1.4', '0.5'],
    );
    assert.equal(kill.fewestLost?.transport, 'async');
    assert.equal(kill.delayedInsteadOfLost?.transport, 'async');
  });

  test('when there is no reference step, then recovery falls back to the seconds before the fault', () => {
    const changed = mutableCopy(syntheticResults());
    const grpc = changed.transports[0];
    assert.ok(grpc !== undefined);
    grpc.open.steps = grpc.open.steps.filter((s) => s.offeredRate !== 20);
    const f = analyzeResults(changed).faultScenarios[0]?.byTransport[0];
    assert.ok(f !== undefined);
    assert.equal(f.reference, null);
    assert.equal(f.recoveryBaseline, 'before-fault');
    assert.equal(f.recoveredAfterS?.toFixed(1), '0.6');
    assertIncludes(render(changed), 'a partir dos segundos antes da falha, sem degrau de referência');
  });

  test('when CPU per order is computed, then it is the processes’ CPU time over the window ÷ the orders ended', () => {
    const a = analyzeResults(syntheticResults());
    const grpc = a.transports[0];
    assert.ok(grpc?.resources != null && grpc.kneeStep !== null);
    const step = grpc.kneeStep.phase;
    // 40/s: 0.6+0.2+0.25+0.2+0.2+0.15 = 1.6 %/(order/s) × 40 = 64 % of a core.
    assert.equal(grpc.resources.sutCpuPercent?.toFixed(1), '64.0');
    const expected = (0.64 * step.windowSeconds * 1000) / (step.shipped + step.cancelled + step.errors);
    assert.equal(grpc.resources.sutCpuMsPerOrder?.toFixed(6), expected.toFixed(6));
    assert.deepEqual(
      a.byCpuPerOrder.map((c) => c.transport.transport),
      ['grpc', 'rest', 'async'],
    );
  });

  test('when the scenarios are grouped, then each fault phase label is one scenario across the transports', () => {
    const a = analyzeResults(syntheticResults());
    assert.deepEqual(
      a.faultScenarios.map((s) => [s.title, s.kind, s.byTransport.length]),
      [
        [KILL, 'fault', 3],
        [PAUSE, 'fault', 3],
        [LATENCY, 'latency', 3],
      ],
    );
  });
});

describe('charts', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'report-charts-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('when the charts are made, then names and files are unique and every fault scenario has a timeline', () => {
    const charts = reportCharts(syntheticResults());
    assert.equal(new Set(charts.map((c) => c.name)).size, charts.length);
    assert.equal(new Set(charts.map((c) => c.file)).size, charts.length);
    assert.deepEqual(
      charts.map((c) => c.file),
      [
        'latencia-vs-carga',
        'vazao-vs-carga',
        'modelo-fechado',
        'cpu-por-processo',
        'memoria-por-processo',
        'falha-1-fault-kill-pagamentos-5s-3s',
        'falha-2-fault-pause-estoque-payments-60-2s',
        'falha-3-latency-pagamentos-200ms',
      ],
    );
  });

  test('when the fault timeline is drawn, then it carries the fired and restored times as rules', () => {
    const kill = reportCharts(syntheticResults()).find((c) => c.name === CHART_NAMES.fault(`fault ${KILL}`));
    assert.ok(kill !== undefined);
    const values = (kill.spec as { data: { values: { serie: string; t: number; transporte: string }[] } })
      .data.values;
    const rules = values.filter((v) => v.serie === 'falha' || v.serie === 'restaurado');
    assert.deepEqual(
      rules.map((r) => `${r.transporte} ${r.serie} ${r.t}`),
      [
        'gRPC falha 5',
        'gRPC restaurado 8.4',
        'REST falha 5',
        'REST restaurado 8.6',
        'assíncrono falha 5',
        'assíncrono restaurado 8.5',
      ],
    );
  });

  test('when the fault timeline is drawn, then each transport has arrivals, shipped, cancelled and errors per second', () => {
    const results = syntheticResults();
    const kill = reportCharts(results).find((c) => c.name === CHART_NAMES.fault(`fault ${KILL}`));
    assert.ok(kill !== undefined);
    const values = (
      kill.spec as { data: { values: { serie: string; t: number; transporte: string; valor: number }[] } }
    ).data.values;
    const at = (transporte: string, t: number) =>
      Object.fromEntries(
        values.filter((v) => v.transporte === transporte && v.t === t).map((v) => [v.serie, v.valor]),
      );
    // gRPC at 6 s: every order cancelled, no error; async: almost nothing ends.
    assert.deepEqual(at('gRPC', 6), { 'chegadas/s': 20, 'enviados/s': 0, 'cancelados/s': 20, 'erros/s': 0 });
    assert.deepEqual(at('REST', 6), { 'chegadas/s': 20, 'enviados/s': 0, 'cancelados/s': 14, 'erros/s': 6 });
    assert.deepEqual(at('assíncrono', 9), {
      'chegadas/s': 20,
      'enviados/s': 36,
      'cancelados/s': 4,
      'erros/s': 0,
    });
    // The last second is closed at its end, so the step line draws it.
    assert.deepEqual(at('gRPC', 15), at('gRPC', 14));
  });

  test('when writeCharts renders them, then every chart has a non-empty SVG and PNG', async () => {
    const files = await writeCharts(dir, reportCharts(syntheticResults()));
    assert.equal(files.length, 8);
    for (const file of files) {
      const svg = readFileSync(join(dir, file.svg), 'utf8');
      assert.match(svg, /^<svg/);
      assert.ok(statSync(join(dir, file.png)).size > 1000, `${file.png} is too small`);
    }
  });
});

describe('the report command', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'report-command-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('when arguments are parsed, then the report’s own options are taken and the rest forwarded', () => {
    assert.deepEqual(parseReportArguments(['--quick', '--out-md', 'a.md', '--rates', '5,10']), {
      help: false,
      from: null,
      outMd: 'a.md',
      chartsDir: 'docs/relatorio-checkout',
      benchArgv: ['--quick', '--rates', '5,10'],
    });
    assert.throws(
      () => parseReportArguments(['--from', 'x.json', '--quick']),
      /--from re-renders saved results/,
    );
    assert.throws(() => parseReportArguments(['--charts-dir']), /--charts-dir needs a path/);
  });

  test('when run with --from, then it re-renders the saved results: every linked chart exists and stale charts are gone', async () => {
    const resultsFile = join(dir, 'from', 'checkout.json');
    mkdirSync(dirname(resultsFile), { recursive: true });
    writeFileSync(resultsFile, JSON.stringify(syntheticResults()));
    const chartsDir = join(dir, 'from', 'charts');
    mkdirSync(chartsDir, { recursive: true });
    writeFileSync(join(chartsDir, 'falha-9-old.svg'), '<svg/>');
    writeFileSync(join(chartsDir, 'someone-elses.png'), 'not ours');
    const outMd = join(dir, 'from', 'docs', 'RELATORIO.md');
    const bench: CheckoutBench<{ outDir: string }> = {
      parseOptions: () => assert.fail('--from must not parse benchmark options'),
      run: () => assert.fail('--from must not measure'),
      help: '',
    };
    const files = await reportCommand(
      ['--from', resultsFile, '--out-md', outMd, '--charts-dir', chartsDir],
      bench,
      quiet,
    );
    assert.equal(files[0], outMd);
    assert.equal(files.length, 1 + 2 * 8);
    assert.ok(!existsSync(join(chartsDir, 'falha-9-old.svg')), 'a chart of an earlier run is removed');
    assert.ok(
      existsSync(join(chartsDir, 'someone-elses.png')),
      'a file the report never makes is left alone',
    );
    const markdown = readFileSync(outMd, 'utf8');
    const links = [...markdown.matchAll(/\]\(([^)]+\.(?:png|svg))\)/g)].map((m) => m[1] ?? '');
    assert.equal(links.length, 16);
    for (const link of links)
      assert.ok(existsSync(resolve(dirname(outMd), link)), `${link} is linked but missing`);
    assertIncludes(markdown, '](../checkout.json)');
    assertClean(markdown);
  });

  test('when run without --from, then it parses the options, measures, saves the results JSON in <out> and renders them', async () => {
    const outDir = join(dir, 'run', 'out');
    const seen: string[][] = [];
    const bench: CheckoutBench<{ outDir: string }> = {
      parseOptions: (argv) => {
        seen.push([...argv]);
        return { outDir };
      },
      run: async () => syntheticResults(),
      help: 'BENCH HELP',
    };
    const outMd = join(dir, 'run', 'RELATORIO.md');
    const files = await reportCommand(
      ['--quick', '--out-md', outMd, '--charts-dir', join(dir, 'run', 'charts')],
      bench,
      quiet,
    );
    assert.deepEqual(seen, [['--quick']]);
    assert.equal(files[0], join(outDir, 'checkout.json'));
    assert.deepEqual(readResults(join(outDir, 'checkout.json')), syntheticResults());
    assertIncludes(readFileSync(outMd, 'utf8'), '## 8. Como reproduzir');
  });

  test('when asked for --help, then it prints the report’s and the benchmark’s options and writes nothing', async () => {
    let printed = '';
    const files = await reportCommand(
      ['--help'],
      { parseOptions: () => ({ outDir: dir }), run: async () => syntheticResults(), help: 'BENCH HELP' },
      quiet,
      (text) => {
        printed += text;
      },
    );
    assert.deepEqual(files, []);
    assertIncludes(printed, '--from FILE');
    assertIncludes(printed, 'BENCH HELP');
  });

  test('when a file is not version 1 results, then reading it fails with its name', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ version: 2 }));
    assert.throws(() => readResults(file), /bad\.json is not the results/);
  });

  test('when writeReport renders into a folder beside the Markdown, then the links are relative to the Markdown', async () => {
    const outMd = join(dir, 'w', 'RELATORIO.md');
    const { markdown, charts } = await writeReport({
      results: syntheticResults(),
      resultsFile: join(dir, 'w', 'data', 'checkout.json'),
      outMd,
      chartsDir: join(dir, 'w', 'img'),
      log: quiet,
    });
    assert.equal(charts.length, 8);
    assertIncludes(markdown, '](img/latencia-vs-carga.png)');
    assertIncludes(markdown, '](data/checkout.json)');
  });

  test('the command that repeats a run names every setting', () => {
    const s = syntheticResults().settings;
    assert.equal(
      reproduceCommand(s),
      `npm run report:checkout -- --transports grpc,rest,async --rates 10,20,40,80 --step-seconds 10 --target-p99-ms 1000 --concurrency 4,16 --closed-seconds 10 --fault '${KILL}' --fault '${PAUSE}' --latency ${LATENCY} --fault-rate 20 --fault-seconds 15 --timeout-ms 30000 --payment-latency 20-80 --rejection 0.1 --customers 12 --warmup-orders 40 --seed 42`,
    );
  });
});

describe('code size', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'code-size-'));
    const put = (path: string, text: string) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    put(
      'contracts/proto/checkout/v1/pedidos.proto',
      '// the order\nsyntax = "proto3";\n\nmessage A {\n  int32 id = 1; // id\n}\n',
    );
    put(
      'systems/checkout/pedidos/src/entry-points/grpc.ts',
      'export const a = 1;\n/* block\n   comment */\nexport const b = 2;\n',
    );
    put('systems/checkout/pedidos/src/entry-points/http.ts', "const url = 'http://x'; // a URL is code\n\n");
    put('systems/checkout/estoque/src/entry-points/broker.ts', 'export {};\n');
    put('systems/checkout/pedidos/src/domain/saga.ts', 'export const saga = 1;\n');
    put('systems/checkout/pedidos/src/domain/status.ts', 'export const s = 1;\nexport const t = 2;\n');
    put('systems/checkout/pedidos/src/application/pedidos-service.ts', 'export const chain = 1;\n');
    put('systems/checkout/pedidos/src/domain/status.test.ts', 'test();\n');
    put('systems/checkout/contracts/src/gen/checkout/v1/pedidos.ts', 'generated();\n');
    put(
      'packages/grpc-kit/src/server.ts',
      'export const server = `\n// not a comment inside a template\n`;\n',
    );
    put('packages/grpc-kit/src/server.test.ts', 'test();\n');
    put('packages/messaging/src/testing.ts', 'helper();\n');
    put('packages/messaging/src/amqp-bus.ts', '/** doc */\nexport class Bus {}\n');
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  test('when lines are counted, then blanks and comments are not, strings and templates are', () => {
    assert.equal(countCodeLines('a();\n\n// c\n  /* d */\nb(); /* e */\n/*\n f\n*/ g();\n'), 3);
    assert.equal(countCodeLines('const u = \'a//b\';\nconst v = "/*";\nw();\n'), 3);
    assert.equal(countCodeLines('const t = `\n\n// in a template\n`;\n'), 4);
  });

  test('when globs are matched, then * stays in one folder and **/ spans any', () => {
    assert.ok(
      globToRegExp('systems/checkout/*/src/entry-points/grpc.ts').test(
        'systems/checkout/fiscal/src/entry-points/grpc.ts',
      ),
    );
    assert.ok(!globToRegExp('systems/checkout/*/src/x.ts').test('systems/checkout/a/b/src/x.ts'));
    assert.ok(globToRegExp('packages/outbox/src/**/*.ts').test('packages/outbox/src/relay.ts'));
    assert.ok(globToRegExp('packages/outbox/src/**/*.ts').test('packages/outbox/src/a/b/relay.ts'));
  });

  test('when a tree is measured, then each file lands under its transport once, without tests or generated code', () => {
    const size = measureCodeSize(root);
    assert.deepEqual(size.grpc, {
      files: [
        'contracts/proto/checkout/v1/pedidos.proto',
        'packages/grpc-kit/src/server.ts',
        'systems/checkout/pedidos/src/entry-points/grpc.ts',
      ],
      lines: 4 + 3 + 2,
    });
    assert.deepEqual(size.rest, { files: ['systems/checkout/pedidos/src/entry-points/http.ts'], lines: 1 });
    assert.deepEqual(size.async, {
      files: [
        'packages/messaging/src/amqp-bus.ts',
        'systems/checkout/estoque/src/entry-points/broker.ts',
        'systems/checkout/pedidos/src/domain/saga.ts',
      ],
      lines: 3,
    });
    assert.deepEqual(size.sync, {
      files: ['systems/checkout/pedidos/src/application/pedidos-service.ts'],
      lines: 1,
    });
    assert.deepEqual(size.shared, { files: ['systems/checkout/pedidos/src/domain/status.ts'], lines: 2 });
  });

  test('when the repository itself is measured, then every transport has code and no test file is counted', () => {
    const size = measureCodeSize(resolve(import.meta.dirname, '../../..'));
    for (const key of ['grpc', 'rest', 'async', 'sync', 'shared']) {
      const entry = size[key];
      assert.ok(entry !== undefined && entry.lines > 0 && entry.files.length > 0, `${key} is empty`);
      assert.ok(
        !entry.files.some((f) => f.endsWith('.test.ts') || f.includes('/gen/')),
        `${key} counts a test or generated file`,
      );
    }
  });
});
