/**
 * RELATORIO-checkout.md from one run's results (pure): the seed's report (seed 003 §6) in
 * Portuguese — introdução, arquiteturas, implementação, resultados, análise comparativa,
 * conclusão — plus the audit and how to reproduce it. Every figure comes from `results` through
 * analysis.ts; the descriptive parts (architecture, implementation) state no measured value.
 */
import { describeMachine, markdownTable, type ChartFile } from '@dslab/bench-kit';
import type { AuditFindings, CheckoutBenchResults, CheckoutBenchSettings, FaultEvent } from '../results.js';
import {
  analyzeResults,
  BUSINESS_CANCEL_REASONS,
  DELAY_P99_FACTOR,
  OMISSION_RATE_TOLERANCE,
  RECOVERY_TOLERANCE,
  transportLabel,
  type FaultFigures,
  type FaultScenario,
  type Latency,
  type PhaseFigures,
  type ReportAnalysis,
  type StepFigures,
  type TransportFigures,
} from './analysis.js';
import { CHART_NAMES } from './charts.js';
import { listPt, mib, ms, num, percent, perSecond, plural, seconds, share, times } from './format.js';

/** Where the report's links point, relative to the Markdown file. */
export interface ReportPaths {
  /** The charts' folder. */
  readonly charts: string;
  /** The docs/ folder (checkout.md, checkout-async.md, benchmarks/). */
  readonly docs: string;
  /** The results JSON the report was made from. */
  readonly results: string;
  /** The same file from the repository root, for the command that re-renders from it. */
  readonly resultsFromRoot: string;
}

/** docs/RELATORIO-checkout.md with its charts in docs/relatorio-checkout/ and the results in docs/benchmarks/checkout/. */
export const DEFAULT_REPORT_PATHS: ReportPaths = {
  charts: 'relatorio-checkout',
  docs: '.',
  results: 'benchmarks/checkout/checkout.json',
  resultsFromRoot: 'docs/benchmarks/checkout/checkout.json',
};

function under(folder: string, file: string): string {
  return folder === '' || folder === '.' ? file : `${folder.replace(/\/+$/, '')}/${file}`;
}

/** The checkout's settings a sentence may need, and the helpers bound to this report's links and charts. */
interface Context {
  readonly results: CheckoutBenchResults;
  readonly a: ReportAnalysis;
  readonly charts: readonly ChartFile[];
  readonly paths: ReportPaths;
}

function figure(ctx: Context, name: string): string {
  const chart = ctx.charts.find((c) => c.name === name);
  if (chart === undefined) return `_(O gráfico “${name}” não foi gerado nesta execução.)_\n`;
  return `![${name}](${under(ctx.paths.charts, chart.png)})\n\n(SVG: [${chart.svg}](${under(ctx.paths.charts, chart.svg)}))\n`;
}

function docLink(ctx: Context, file: string, text = file): string {
  return `[${text}](${under(ctx.paths.docs, file)})`;
}

/** "40/s", "≥ 80/s" when every step met the target (the knee lies above the rates measured), or "nenhum degrau". */
function kneeText(t: TransportFigures): string {
  if (t.kneeRate === null) return 'nenhum degrau';
  return `${t.afterKnee === null ? '≥ ' : ''}${perSecond(t.kneeRate)}`;
}

function latencyPair(latency: Latency | null): string {
  return latency === null ? 'nenhum pedido terminou' : `p50 ${ms(latency.p50)}, p99 ${ms(latency.p99)}`;
}

function counts(entries: readonly (readonly [string, number])[], limit = 6): string {
  if (entries.length === 0) return 'nenhum';
  const shown = entries.slice(0, limit).map(([k, n]) => `\`${k}\` ${num(n)}`);
  const rest = entries.slice(limit).reduce((n, [, v]) => n + v, 0);
  return rest > 0 ? `${shown.join(', ')} e outros ${num(rest)}` : shown.join(', ');
}

function record(entries: Readonly<Record<string, number>>): string {
  const list = Object.entries(entries).filter(([, n]) => n > 0);
  return list.length === 0 ? '—' : list.map(([k, n]) => `${k} ${num(n)}`).join(', ');
}

function errorsText(p: PhaseFigures): string {
  return p.errors === 0
    ? 'nenhum erro'
    : `${plural(p.errors, 'erro')} (${share(p.errorRatio)} dos pedidos terminados)`;
}

// ---------------------------------------------------------------------------------------------
// Summary and introduction

function summary(ctx: Context): string[] {
  const { a, results } = ctx;
  const lines: string[] = [];
  const fastest = a.byLowLoadLatency[0];
  if (fastest !== undefined) {
    const each = a.byLowLoadLatency.map(
      (t) => `${t.label} ${ms(t.lowLoad?.latency?.p50)} (a ${perSecond(t.lowLoad?.rate)})`,
    );
    lines.push(
      `- **Baixa carga:** p50 ponta a ponta ${listPt(each)}; o menor foi o do **${fastest.label}**.`,
    );
  }
  const knees = a.transports.map((t) => `${t.label} ${kneeText(t)}`);
  if (knees.length > 0)
    lines.push(
      `- **Joelho** (maior taxa com p99 ≤ ${ms(results.settings.targetP99Ms)}, erros e vazão dentro dos critérios): ${listPt(knees)}.`,
    );
  for (const scenario of a.faultScenarios) {
    if (scenario.kind === 'fault')
      lines.push(
        `- **Falha \`${scenario.title}\`:** pedidos perdidos (erros e cancelamentos causados pela falha) ${listPt(scenario.byTransport.map((f) => `${transportLabel(f.transport)} ${num(f.lost)} de ${num(f.sent)}`))}; p99 da fase ${listPt(scenario.byTransport.map((f) => `${ms(f.latency?.p99)} no ${transportLabel(f.transport)} (${ms(f.reference?.latency?.p99)} sem falha)`))}.`,
      );
    else
      lines.push(
        `- **Atraso \`${scenario.title}\`:** ${listPt(scenario.byTransport.map((f) => `${transportLabel(f.transport)} p99 ${ms(f.latency?.p99)} (${ms(f.reference?.latency?.p99)} sem atraso)`))}.`,
      );
  }
  lines.push(
    a.auditViolations === 0 && a.auditUnsettled === 0
      ? '- **Auditoria:** nenhuma violação de invariante e nenhum pedido sem desfecho, em nenhuma fase.'
      : `- **Auditoria:** ${plural(a.auditViolations, 'violação', 'violações')} e ${plural(a.auditUnsettled, 'pedido', 'pedidos')} sem desfecho ao todo (detalhes na seção 7).`,
  );
  return lines;
}

function introduction(ctx: Context): string[] {
  const s = ctx.results.settings;
  const transports = listPt(ctx.a.transports.map((t) => `**${t.label}**`));
  return [
    '## 1. Introdução',
    '',
    'O projeto implementa o subsistema de checkout de um comércio eletrônico — pedidos, pagamentos, ' +
      'estoque, fiscal, logística e catálogo — de três maneiras: uma cadeia síncrona de chamadas RPC ' +
      'sobre **gRPC** e sobre **REST** (seed 003, parte 1) e uma saga **assíncrona** orientada a ' +
      'mensagens sobre RabbitMQ (seed 004). O objetivo deste relatório é o do seed (§5.3 e §6): comparar ' +
      'as arquiteturas com dados medidos — latência, vazão, uso de recursos e comportamento sob falhas — ' +
      'e discutir complexidade, acoplamento, escalabilidade, resiliência e observabilidade.',
    '',
    `Nesta execução foram medidos ${transports}, o mesmo conjunto de pedidos em cada um (semente ${s.seed}):`,
    '',
    `- **Modelo aberto:** taxas de chegada constantes de ${listPt(s.rates.map((r) => num(r)))} pedidos/s, ${seconds(s.stepSeconds)} por degrau, subindo até o **joelho** (o primeiro degrau cujo p99 passa de ${ms(s.targetP99Ms)}, cujos erros passam do limite ou cuja vazão não acompanha a taxa oferecida).`,
    `- **Modelo fechado:** ${listPt(s.concurrencies.map((c) => num(c)))} clientes, cada um enviando o próximo pedido quando o anterior termina, ${seconds(s.closedSeconds)} por execução.`,
    s.faults.length === 0 && s.latency === null
      ? '- **Falhas:** nenhuma nesta execução.'
      : `- **Falhas:** ${listPt([...s.faults.map((f) => `\`${f}\``), ...(s.latency === null ? [] : [`atraso \`${s.latency}\` em um salto`])])}, cada uma numa fase de ${seconds(s.faultSeconds)} a ${perSecond(s.faultRate)}, com o mesmo agendamento (semeado) para todos os transportes.`,
    '',
    'Definições usadas em todo o relatório:',
    '',
    '- **Latência ponta a ponta:** do instante em que o pedido *deveria* ser enviado (no modelo aberto, o pedido i vence em i ÷ taxa) até o seu desfecho: a resposta, na cadeia síncrona; o status terminal (`enviado` ou `cancelado`) gravado no banco, no assíncrono. Contar a partir do instante devido, e não do envio real, impede que um sistema travado atrase o gerador e esconda a própria lentidão (*coordinated omission*). Erros entram na latência com o tempo que levaram; um pedido sem desfecho após o tempo limite conta como erro `timeout` com esse tempo.',
    '- **Vazão:** pedidos terminados (qualquer desfecho) por segundo da janela de medição; **goodput:** pedidos `enviado` por segundo.',
    '- **Desfechos:** `enviado` (o pedido completou a cadeia); `cancelado` (o checkout recusou de forma limpa: pagamento recusado, falta de estoque, etapa compensada); **erro** (nenhuma resposta que diga como o pedido terminou: HTTP 5xx, gRPC UNAVAILABLE, conexão recusada, tempo limite).',
    '- Percentis vêm de histogramas HDR (3 dígitos significativos). No assíncrono também se mede o **202** (do envio devido até a resposta de aceite).',
    '',
  ];
}

// ---------------------------------------------------------------------------------------------
// Architectures and implementation (descriptive: no measured value)

function architectures(ctx: Context): string[] {
  const processes = ctx.a.transports.map(
    (t) => `- ${t.label}: ${t.results.processes.map((p) => `\`${p}\``).join(', ')}`,
  );
  return [
    '## 2. Arquiteturas',
    '',
    '### 2.1 Síncrona: gRPC e REST',
    '',
    'O serviço `pedidos` orquestra a cadeia: recebe o pedido, consulta os preços no `catalogo` e chama ' +
      'cada serviço em sequência, esperando a resposta de um antes de chamar o próximo. Os dois transportes ' +
      'têm a mesma camada de aplicação; só muda o fio: gRPC (Protocol Buffers, HTTP/2, um canal por vizinho) ou ' +
      'REST (JSON sobre HTTP/1.1, um pool de conexões keep-alive por vizinho). Se uma etapa falha, `pedidos` ' +
      'executa as compensações das etapas anteriores (estorno, liberação do estoque) e o pedido termina ' +
      `\`cancelado\`. Detalhes em ${docLink(ctx, 'checkout.md')}.`,
    '',
    '```mermaid',
    'sequenceDiagram',
    '  autonumber',
    '  participant C as Cliente',
    '  participant P as pedidos',
    '  participant Cat as catalogo',
    '  participant Pg as pagamentos',
    '  participant E as estoque',
    '  participant F as fiscal',
    '  participant L as logistica',
    '  C->>P: CriarPedido (gRPC) ou POST /pedidos (REST)',
    '  P->>Cat: preços dos itens',
    '  Cat-->>P: preços',
    '  P->>Pg: ProcessarPagamento',
    '  Pg-->>P: aprovado ou rejeitado',
    '  P->>E: SepararEstoque',
    '  E-->>P: separado',
    '  P->>F: EmitirNotaFiscal',
    '  F-->>P: nota fiscal',
    '  P->>L: AgendarEnvio',
    '  L-->>P: envio',
    '  P-->>C: pedido enviado (ou cancelado, com o motivo)',
    '```',
    '',
    'Cada chamada carrega um prazo absoluto (deadline nativo do gRPC; `X-Timeout-Ms` no REST) e o id de ' +
      'rastreamento (W3C `traceparent`); cada serviço tem o seu próprio banco (um schema PostgreSQL nesta medição).',
    '',
    '### 2.2 Assíncrona: saga sobre RabbitMQ',
    '',
    '`POST /pedidos` grava o pedido e a primeira mensagem numa única transação (outbox) e responde **202** ' +
      'na hora; o resto acontece em segundo plano. O orquestrador (a saga, dentro do worker de `pedidos`) ' +
      'consome os eventos e envia um comando por vez para a fila do serviço da próxima etapa; cada worker ' +
      'executa a etapa pela camada de aplicação do próprio serviço e responde com um evento. Cada consumidor ' +
      'grava a mensagem processada (inbox), o efeito e a próxima mensagem (outbox) na mesma transação, e só ' +
      'então confirma (ack) a entrega. O cliente acompanha o pedido por `GET /pedidos/{id}`. Detalhes em ' +
      `${docLink(ctx, 'checkout-async.md')}.`,
    '',
    '```mermaid',
    'flowchart LR',
    '  C([Cliente]) -- "POST /pedidos (JWT)" --> API[pedidos API]',
    '  API -- "202 + Location" --> C',
    '  API -- "outbox: PEDIDO_CRIADO" --> MQ{{RabbitMQ}}',
    '  MQ -- "pedidos.eventos" --> O[worker-pedidos<br/>orquestrador da saga]',
    '  O -- "outbox: comandos" --> MQ',
    '  MQ -- "estoque.comandos" --> WE[worker-estoque]',
    '  MQ -- "pagamentos.comandos" --> WP[worker-pagamentos]',
    '  MQ -- "fiscal.comandos" --> WF[worker-fiscal]',
    '  MQ -- "logistica.comandos" --> WL[worker-logistica]',
    '  WE & WP & WF & WL -- "outbox: eventos" --> MQ',
    '  API -. preços .-> CAT[catalogo]',
    '  CAT -. estoque .-> EST[estoque API]',
    '```',
    '',
    'A saga de um pedido: `PEDIDO_CRIADO` → verificar estoque → processar pagamento → separar estoque → ' +
      'emitir nota fiscal → agendar envio → `enviado`; uma recusa dispara as compensações (estornar ' +
      'pagamento, liberar estoque) → `cancelado`. Toda fila tem um estágio de nova tentativa e uma fila de ' +
      'mensagens mortas (DLQ).',
    '',
    '### 2.3 Processos medidos',
    '',
    'Cada transporte rodou como processos separados, como em produção, sobre um namespace próprio ' +
      '(schemas PostgreSQL e filas RabbitMQ com prefixo único):',
    '',
    ...processes,
    '',
  ];
}

function implementation(ctx: Context): string[] {
  const v = ctx.results.versions;
  return [
    '## 3. Implementação',
    '',
    '### 3.1 Serviços',
    '',
    markdownTable(
      ['serviço', 'responsabilidade', 'dados próprios'],
      [
        [
          '`pedidos`',
          'recebe o checkout, orquestra a cadeia (síncrona) ou a saga (assíncrona), guarda o status',
          'clientes, pedidos, itens_pedido',
        ],
        [
          '`pagamentos`',
          'simula o gateway: latência e recusa sorteadas uma vez e guardadas com o pagamento',
          'pagamentos',
        ],
        [
          '`estoque`',
          'reserva e libera unidades; nunca deixa o saldo negativo (CHECK no banco)',
          'estoque, reservas',
        ],
        ['`fiscal`', 'emite a nota fiscal (número de série, chave de acesso)', 'notas_fiscais'],
        ['`logistica`', 'agenda o envio e gera o código de rastreamento', 'envios'],
        [
          '`catalogo`',
          'lista os produtos com estoque (`GET /produtos`, `ListarProdutos`) e fornece preços',
          'produtos',
        ],
      ],
    ),
    'Cada serviço segue a mesma forma: regras puras em `src/domain/`, camada de aplicação em ' +
      '`src/application/`, adaptadores de banco em `src/adapters/` e os pontos de entrada em ' +
      '`src/entry-points/` (`grpc.ts`, `http.ts` e, no assíncrono, `broker.ts`). Toda operação é registrada ' +
      'na tabela `operacoes` do serviço, na mesma transação da mudança, e numa linha de log.',
    '',
    '### 3.2 Tecnologias',
    '',
    `- Node.js ${v.node} e TypeScript estrito; Fastify (REST, OpenAPI em \`/docs\`), \`@grpc/grpc-js\` com tipos gerados dos \`.proto\` (gRPC), undici (cliente HTTP keep-alive).`,
    `- PostgreSQL ${v.postgres} (um schema por serviço, Kysely), RabbitMQ ${v.rabbitmq} (amqplib com confirmações de publicação).`,
    '- Gerador de carga próprio (`tools/loadgen`): modelos aberto e fechado, histogramas HDR (`hdr-histogram-js`), agendador de falhas semeado, auditor dos bancos; gráficos com Vega-Lite.',
    '',
    '### 3.3 Desafios encontrados',
    '',
    '- **Prazos e compensação (síncrono).** Uma cadeia de quatro saltos precisa de um prazo único que diminui a cada salto: sem ele, um serviço lento segura todos os anteriores. Quando uma etapa falha no meio, `pedidos` desfaz as anteriores na ordem inversa (liberar estoque antes de estornar, cancelar o pedido por último) e um laço de recuperação retoma pedidos que ficaram no meio do caminho (por exemplo, quando o próprio `pedidos` caiu).',
    '- **Outbox, inbox e idempotência (assíncrono).** Publicar no broker e gravar no banco não cabem numa transação só: a mensagem é gravada na outbox junto com a mudança e um relay a publica depois; quem consome grava o id da mensagem (inbox) na mesma transação do efeito, então uma entrega repetida não tem efeito. Toda etapa é idempotente por pedido (um pagamento, uma reserva, uma nota, um envio).',
    '- **Mensagens perdidas (redrive).** Uma mensagem pode se perder depois de sair da outbox (fila apagada, processo embarcado que morreu); o orquestrador varre pedidos parados e reenvia o comando que cada um espera, com um id novo, contando com a idempotência das etapas.',
    '- **Medir sem enganar.** O gerador de carga precisa manter a taxa mesmo quando o sistema trava (modelo aberto), medir o fim real de um pedido assíncrono (o status terminal no banco) e conferir depois, nos seis bancos, que nenhuma falha injetada quebrou as invariantes.',
    '',
  ];
}

// ---------------------------------------------------------------------------------------------
// 4. Results

const STEP_HEADERS = [
  'taxa',
  'pedidos',
  'vazão',
  'goodput',
  'p50',
  'p90',
  'p99',
  'máx',
  'erros',
  'cancelados',
];

function stepCells(s: StepFigures, withAccept: boolean): string[] {
  return [
    perSecond(s.rate),
    num(s.sent),
    perSecond(s.throughput),
    perSecond(s.goodput),
    ms(s.latency?.p50),
    ms(s.latency?.p90),
    ms(s.latency?.p99),
    ms(s.latency?.max),
    num(s.errors),
    num(s.cancelled),
    ...(withAccept
      ? [
          s.accept === null ? '—' : `${ms(s.accept.p50)} / ${ms(s.accept.p99)}`,
          s.afterAccept === null ? '—' : `${ms(s.afterAccept.p50)} / ${ms(s.afterAccept.p99)}`,
        ]
      : []),
  ];
}

function kneeLine(ctx: Context, t: TransportFigures): string {
  const target = ms(ctx.results.settings.targetP99Ms);
  const reason = `(critério registrado: “${t.kneeReason}”)`;
  const next = t.afterKnee;
  const nextText =
    next === null
      ? ''
      : ` No degrau de ${perSecond(next.rate)}: ${latencyPair(next.latency)}, vazão ${perSecond(next.throughput)}, ${errorsText(next)}.`;
  if (t.kneeRate === null)
    return `- **${t.label}:** nenhum degrau atendeu ao alvo de p99 ${target} ${reason}.${nextText}`;
  if (next === null)
    return `- **${t.label}:** todos os degraus atenderam aos critérios; o joelho está acima da maior taxa medida, ${perSecond(t.kneeRate)} ${reason}.`;
  return `- **${t.label}:** joelho em ${perSecond(t.kneeRate)} ${reason}.${nextText}`;
}

function latencySection(ctx: Context): string[] {
  const { a, results } = ctx;
  const lines = ['### 4.1 Latência vs. carga (modelo aberto)', '', figure(ctx, CHART_NAMES.latency)];
  for (const t of a.transports) {
    const withAccept = t.steps.some((s) => s.accept !== null);
    lines.push(
      `**${t.label}**`,
      '',
      markdownTable(
        [...STEP_HEADERS, ...(withAccept ? ['202 p50 / p99', '202 → final p50 / p99'] : [])],
        t.steps.map((s) => stepCells(s, withAccept)),
      ),
    );
  }
  lines.push(
    'Latências ponta a ponta; vazão e goodput em pedidos por segundo da janela (do primeiro envio ao último desfecho).',
    '',
  );
  const low: string[] = [];
  const fastest = a.byLowLoadLatency[0];
  const slowest = a.byLowLoadLatency[a.byLowLoadLatency.length - 1];
  if (fastest !== undefined && slowest !== undefined) {
    low.push(
      `Na menor taxa, ${listPt(a.byLowLoadLatency.map((t) => `${t.label} teve ${latencyPair(t.lowLoad?.latency ?? null)} (a ${perSecond(t.lowLoad?.rate)})`))}.`,
    );
    if (fastest !== slowest)
      low.push(
        `O menor p50 foi o do ${fastest.label}; o do ${slowest.label} foi ${times(a.lowLoadSpread)} maior.`,
      );
  }
  const sa = a.syncVsAsync;
  if (sa !== null && sa.lowLoadRatio !== null) {
    const accept = sa.async.lowLoad?.accept ?? null;
    const afterAccept = sa.async.lowLoad?.afterAccept ?? null;
    const acceptText =
      accept === null
        ? ''
        : ` (o 202, em compensação, chegou com p50 ${ms(accept.p50)} e p99 ${ms(accept.p99)}` +
          (afterAccept === null
            ? ')'
            : `; do 202 ao status final, p50 ${ms(afterAccept.p50)} e p99 ${ms(afterAccept.p99)})`);
    low.push(
      sa.lowLoadRatio > 1
        ? `Como o seed prevê, a cadeia síncrona responde mais rápido com pouca carga: o pedido assíncrono levou ${times(sa.lowLoadRatio)} o tempo do ${sa.sync.label} até terminar${acceptText} — cada etapa passa pela outbox, pelo broker e por uma transação a mais em cada consumidor.`
        : `Ao contrário do que o seed prevê, o assíncrono terminou os pedidos tão rápido ou mais que a cadeia síncrona com pouca carga (${times(sa.lowLoadRatio)} o p50 do ${sa.sync.label})${acceptText}.`,
    );
  }
  const b = results.baseline;
  const grpcLike = fastest?.lowLoad?.latency?.p50 ?? null;
  low.push(
    `Referência na mesma máquina: o mesmo cliente HTTP contra um servidor hello-world fez ${perSecond(b.rate)} com p50 ${ms(b.p50Ms)} e p99 ${ms(b.p99Ms)}` +
      (grpcLike === null || b.p50Ms <= 0
        ? '.'
        : `; o p50 do ${fastest?.label ?? ''} em baixa carga é ${times(grpcLike / b.p50Ms)} isso — o resto é o trabalho do checkout, inclusive o simulador de pagamento, que sorteia ${ms(results.settings.payment.minMs)}–${ms(results.settings.payment.maxMs)} por pagamento.`),
  );
  lines.push(`**Baixa carga.** ${low.join(' ')}`);
  lines.push(
    '',
    `**Joelho** (alvo p99 ${ms(results.settings.targetP99Ms)}):`,
    '',
    ...a.transports.map((t) => kneeLine(ctx, t)),
    '',
  );
  const knees: string[] = [];
  const top = a.byKnee[0];
  if (top !== undefined && top.kneeRate !== null && a.transports.length > 1) {
    const tied = a.byKnee.filter((t) => t.kneeRate === top.kneeRate);
    knees.push(
      tied.length > 1
        ? `${listPt(tied.map((t) => t.label))} sustentaram a mesma taxa máxima (${perSecond(top.kneeRate)}) dentro do alvo.`
        : `O ${top.label} sustentou a maior taxa dentro do alvo (${perSecond(top.kneeRate)}).`,
    );
  }
  if (sa !== null) {
    if (sa.asyncKneeHigher)
      knees.push(
        'O assíncrono aguentou mais carga antes de estourar o alvo do que a cadeia síncrona, como o seed espera: na cadeia, cada pedido ocupa os cinco serviços ao mesmo tempo enquanto espera o mais lento.',
      );
    else if (sa.syncKneeHigher) {
      const cpuOf = (t: TransportFigures) => a.byCpuPerOrder.find((c) => c.transport === t)?.ms ?? null;
      const asyncCpu = cpuOf(sa.async);
      const syncCpu = cpuOf(sa.sync);
      knees.push(
        'Nesta execução a cadeia síncrona sustentou uma taxa maior que o assíncrono dentro do alvo; a expectativa do seed (a síncrona sofre mais sob alta carga) não se confirmou nesta máquina.' +
          (asyncCpu !== null && syncCpu !== null && asyncCpu > syncCpu
            ? ` O custo de CPU por pedido ajuda a explicar (seção 4.4): ${ms(asyncCpu)} no assíncrono contra ${ms(syncCpu)} no ${sa.sync.label} — cada etapa é uma mensagem e uma transação a mais, e todos os processos dividem os mesmos núcleos.`
            : ''),
      );
    }
  }
  if (a.commonRate !== null && a.p99AtCommonRate.length > 1) {
    knees.push(
      `Na maior taxa que todos rodaram (${perSecond(a.commonRate)}), o p99 foi ${listPt(a.p99AtCommonRate.map((r) => `${ms(r.p99)} no ${r.transport.label}`))}` +
        (a.p99RatioAtCommonRate === null ? '.' : `: o maior é ${times(a.p99RatioAtCommonRate)} o menor.`),
    );
  }
  if (knees.length > 0) lines.push(knees.join(' '), '');
  return lines;
}

function throughputSection(ctx: Context): string[] {
  const { a, results } = ctx;
  const lines = ['### 4.2 Vazão e goodput', '', figure(ctx, CHART_NAMES.throughput)];
  for (const t of a.transports) {
    const peak = t.peak;
    if (peak === null) continue;
    const cancelled =
      t.openCancelled === 0
        ? 'nenhum pedido cancelado'
        : `${plural(t.openCancelled, 'cancelado')} de ${plural(t.openSent, 'pedido')} (${share(t.openCancelled / Math.max(1, t.openSent))}; motivos: ${counts(t.cancelledByReason)})`;
    lines.push(
      `- **${t.label}:** maior vazão ${perSecond(peak.throughput)} (goodput ${perSecond(peak.goodput)}) no degrau de ${perSecond(peak.rate)}; nos degraus do modelo aberto, ${cancelled}.`,
    );
  }
  lines.push(
    '',
    `O simulador de pagamento recusa ${share(results.settings.payment.rejection)} dos pagamentos: esses pedidos terminam \`cancelado\` em qualquer transporte e são a diferença normal entre vazão e goodput. Quando a vazão fica abaixo da taxa oferecida (abaixo da diagonal do gráfico), o sistema não acompanha a chegada e a fila cresce — é o que o p99 mostra na seção anterior.`,
    '',
  );
  return lines;
}

function closedSection(ctx: Context): string[] {
  const { a } = ctx;
  if (!a.transports.some((t) => t.closed.length > 0)) return [];
  const rows = a.transports.flatMap((t) =>
    t.closed.map((c) => [
      t.label,
      num(c.concurrency),
      num(c.sent),
      perSecond(c.throughput),
      ms(c.latency?.p50),
      ms(c.latency?.p99),
      ms(c.latency?.mean),
      ms(c.littleMeanMs),
      num(c.errors),
    ]),
  );
  const lines = [
    '### 4.3 Modelo aberto vs. modelo fechado',
    '',
    figure(ctx, CHART_NAMES.closed),
    markdownTable(
      ['transporte', 'clientes', 'pedidos', 'vazão', 'p50', 'p99', 'média', 'clientes ÷ vazão', 'erros'],
      rows,
    ),
    'No modelo fechado a taxa é consequência da latência: N clientes com latência média L fazem N ÷ L pedidos por segundo (lei de Little; a coluna “clientes ÷ vazão” deve ficar perto da média medida).',
    '',
  ];
  for (const t of a.transports) {
    const o = t.omission;
    const busiest = [...t.closed].sort((x, y) => y.throughput - x.throughput)[0];
    if (o === null) {
      if (busiest !== undefined)
        lines.push(
          `- **${t.label}:** nenhum degrau do modelo aberto teve taxa a menos de ${share(OMISSION_RATE_TOLERANCE)} da maior vazão do fechado (${perSecond(busiest.throughput)} com ${plural(busiest.concurrency, 'cliente')}): as caudas não são comparáveis.`,
        );
      continue;
    }
    const closedP99 = o.closed.latency?.p99 ?? 0;
    const openP99 = o.open.latency?.p99 ?? 0;
    const verdict =
      openP99 > closedP99 * 1.2
        ? 'o modelo fechado mostra uma cauda menor porque, quando o sistema fica lento, os clientes também enviam menos e a lentidão some da medida (omissão coordenada) — por isso o joelho é medido no modelo aberto.'
        : closedP99 > openP99 * 1.2
          ? `aqui o modelo fechado teve a cauda maior: com ${num(o.closed.concurrency)} pedidos sempre em voo, a fila dentro do sistema é maior que a do modelo aberto nessa taxa.`
          : 'as caudas ficaram próximas nessa faixa de carga.';
    lines.push(
      `- **${t.label}:** com ${plural(o.closed.concurrency, 'cliente')}, ${perSecond(o.closed.throughput)} e p99 ${ms(closedP99)}; no modelo aberto a ${perSecond(o.open.rate)} (a taxa medida mais próxima), p99 ${ms(openP99)}: ${verdict}`,
    );
  }
  lines.push('');
  return lines;
}

function resourcesSection(ctx: Context): string[] {
  const { a, results } = ctx;
  const withResources = a.transports.filter((t) => t.resources !== null);
  if (withResources.length === 0) return [];
  const capacity = results.machine.cores * 100;
  const perProcess = withResources.flatMap((t) =>
    (t.resources?.processes ?? []).map((p) => [
      t.label,
      `\`${p.name}\``,
      percent(p.cpuMeanPercent),
      percent(p.cpuMaxPercent),
      mib(p.rssMaxBytes),
    ]),
  );
  const totals = withResources.map((t) => {
    const r = t.resources;
    return [
      t.label,
      perSecond(r?.rate ?? null),
      percent(r?.sutCpuPercent),
      percent(r?.postgresCpuPercent),
      percent(r?.rabbitmqCpuPercent),
      percent(r?.loadgenCpuPercent),
      `${percent(r?.machineCpuPercent)} de ${percent(capacity)}`,
      `${ms(r?.sutCpuMsPerOrder)} + ${ms(r?.postgresCpuMsPerOrder)}${t.transport === 'async' ? ` + ${ms(r?.rabbitmqCpuMsPerOrder)}` : ''}`,
      mib(r?.sutRssBytes),
    ];
  });
  const lines = [
    '### 4.4 Recursos: CPU e memória por processo',
    '',
    `Amostras a cada ${num(withResources[0]?.results.open.steps[0]?.resources.intervalMs ?? null)} ms durante cada fase; a tabela e os gráficos usam o degrau do joelho de cada transporte (ou o último degrau, se não houve joelho). CPU em % de um núcleo (esta máquina tem ${plural(results.machine.cores, 'núcleo')}, ou seja, ${percent(capacity)}).`,
    '',
    figure(ctx, CHART_NAMES.cpu),
    figure(ctx, CHART_NAMES.memory),
    markdownTable(['transporte', 'processo', 'CPU média', 'CPU máx', 'RSS máx'], perProcess),
    markdownTable(
      [
        'transporte',
        'degrau',
        'CPU dos processos',
        'PostgreSQL',
        'RabbitMQ',
        'gerador de carga',
        'máquina',
        'CPU por pedido (processos + PostgreSQL [+ RabbitMQ])',
        'RSS somado',
      ],
      totals,
    ),
  ];
  const notes: string[] = [];
  for (const t of withResources) {
    const r = t.resources;
    if (r === null) continue;
    const busiest =
      r.busiest === null
        ? ''
        : ` o processo mais ocupado foi \`${r.busiest.name}\` (${percent(r.busiest.cpuMeanPercent)}).`;
    const saturated =
      r.machineShare === null
        ? ''
        : r.machineShare >= 0.85
          ? ` A máquina inteira estava em ${share(r.machineShare)} da sua CPU: a CPU era o limite.`
          : ` A máquina inteira estava em ${share(r.machineShare)} da sua CPU: a CPU não se esgotou, o limite estava nas esperas (banco, pagamento simulado, filas).`;
    notes.push(`- **${t.label}** a ${perSecond(r.rate)}:${busiest}${saturated}`);
  }
  const [cheapest] = a.byCpuPerOrder;
  const dearest = a.byCpuPerOrder[a.byCpuPerOrder.length - 1];
  if (cheapest !== undefined && dearest !== undefined && cheapest !== dearest)
    notes.push(
      `- Por pedido, o ${cheapest.transport.label} gastou menos CPU (${ms(cheapest.ms)}, somando processos e PostgreSQL${cheapest.transport.transport === 'async' ? ' e RabbitMQ' : ''}) e o ${dearest.transport.label} mais (${ms(dearest.ms)}, ${times(dearest.ms / cheapest.ms)}).`,
    );
  lines.push(...notes, '');
  return lines;
}

function eventText(e: FaultEvent): string {
  const action = e.action === 'kill' ? 'SIGKILL' : 'SIGSTOP';
  const processes =
    e.processes.length === 0 ? `\`${e.service}\`` : listPt(e.processes.map((p) => `\`${p}\``));
  if (e.firedAtS === null) return `\`${e.spec}\` não disparou`;
  const observed =
    e.observed === undefined
      ? ''
      : ` (quando o contador \`${e.observed.counter}\` da fase estava em ${num(e.observed.value)})`;
  const restored =
    e.restoredAtS === null
      ? 'sem restauração registrada'
      : `${e.action === 'kill' ? 'de volta e saudável' : 'retomado (SIGCONT)'} em ${seconds(e.restoredAtS)}`;
  return `${action} em ${processes} aos ${seconds(e.firedAtS)}${observed}, ${restored}`;
}

/** "`a`, `b` e `c`". */
function codeList(items: readonly string[]): string {
  return listPt(items.map((item) => `\`${item}\``));
}

/** How many orders the phase lost and how (errors, cancellations the fault caused), against the reference. */
function lossText(f: FaultFigures): string {
  const reference = f.reference === null ? '' : `; sem falha, ${share(f.reference.lostShare)}`;
  if (f.lost === 0)
    return `Nenhum pedido perdido (nenhum erro, nenhum cancelamento causado ${f.kind === 'fault' ? 'pela falha' : 'pelo atraso'}).`;
  const parts = [
    ...(f.faultCancelled === 0
      ? []
      : [
          `${plural(f.faultCancelled, 'cancelado', 'cancelados')} por motivo que não é recusa de negócio (${counts(f.faultCancelledByReason)})`,
        ]),
    ...(f.errors === 0 ? [] : [`${plural(f.errors, 'erro')} (${counts(f.errorKinds)})`]),
  ];
  return `Perdeu ${num(f.lost)} de ${plural(f.sent, 'pedido')} (${share(f.lostShare)}${reference}): ${listPt(parts)}.`;
}

function recoveryText(f: FaultFigures): string {
  const r = f.recovery;
  switch (r.status) {
    case 'recovered':
      return ` Recuperação ${seconds(r.afterS)} após a volta do serviço: o segundo que começa em ${seconds(r.atS)} teve ${share(r.shippedShare)} de \`enviado\` entre os pedidos terminados e nenhum erro (limiar ${share(f.recoveryThreshold)}${f.recoveryBaseline === 'before-fault' ? ', a partir dos segundos antes da falha, sem degrau de referência' : ''}).`;
    case 'not-recovered':
      return ` Até o fim dos envios (${seconds(f.phase.sendSeconds)}) nenhum segundo inteiro depois da volta do serviço atingiu o critério de recuperação (${share(f.recoveryThreshold)} de \`enviado\` entre os terminados, sem erros).`;
    case 'too-soon':
      return ` O serviço voltou aos ${seconds(f.restoredAtS)} e os envios pararam aos ${seconds(f.phase.sendSeconds)}: não sobrou um segundo inteiro de envios depois da volta, e a fase terminou cedo demais para medir a recuperação.`;
    case 'no-baseline':
      return ' Sem referência sem falha (nem degrau na mesma taxa, nem segundo inteiro antes da falha), a recuperação não foi medida.';
    case 'not-restored':
      return '';
  }
}

function faultBullet(f: FaultFigures): string {
  const label = transportLabel(f.transport);
  const reference =
    f.reference === null
      ? ''
      : ` (sem falha, a ${perSecond(f.reference.rate)}: ${latencyPair(f.reference.latency)})`;
  const goodput = `goodput ${perSecond(f.goodput)}${f.reference === null ? '' : ` (sem falha ${perSecond(f.reference.goodput)})`}`;
  const audit =
    f.violations === 0 && f.phase.audit.unsettled === 0
      ? 'auditoria sem violações'
      : `auditoria: ${plural(f.violations, 'violação', 'violações')}, ${plural(f.phase.audit.unsettled, 'pedido', 'pedidos')} sem desfecho`;
  const outcomes = `${plural(f.sent, 'pedido')}: \`enviado\` ${num(f.shipped)}, \`cancelado\` ${num(f.cancelled)} (${num(f.businessCancelled)} por recusa de negócio), ${plural(f.errors, 'erro')}`;
  if (f.kind === 'latency')
    return `- **${label}:** ${latencyPair(f.latency)}${reference}; ${outcomes}; ${goodput}; pior segundo com p99 ${ms(f.worstSecondP99Ms)}; ${audit}. ${lossText(f)}`;
  const away = f.events[0]?.action === 'pause' ? 'congelado' : 'fora do ar';
  const during =
    f.sentDuringFault === null
      ? ''
      : ` Nos segundos em que o serviço estava ${away} chegaram ${plural(f.sentDuringFault, 'pedido')} e terminaram ${num(f.shippedDuringFault)} \`enviado\`, ${num(f.cancelledDuringFault)} \`cancelado\` e ${plural(f.errorsDuringFault ?? 0, 'erro')}.`;
  const problems = f.problems.length === 0 ? '' : ` Problema: ${f.problems.join('; ')}.`;
  return (
    `- **${label}:** ${f.events.map(eventText).join('; ')}. ${lossText(f)}${during}${recoveryText(f)} Na fase toda, ${outcomes}; ${goodput}; ` +
    `${latencyPair(f.latency)}${reference}, pior segundo com p99 ${ms(f.worstSecondP99Ms)}; ${audit}.${problems}`
  );
}

function capitalized(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

/** "o gRPC" / "o gRPC e o REST". */
function theTransports(phases: readonly FaultFigures[]): string {
  return listPt(phases.map((f) => `o ${transportLabel(f.transport)}`));
}

/** Who lost the fewest orders in a scenario, against the others, with the p99s (one clause, no final stop). */
function lossComparison(scenario: FaultScenario): string {
  const title = `\`${scenario.title}\``;
  const all = scenario.byTransport;
  if (all.length === 0) return `${title}: nenhum transporte`;
  if (all.every((f) => f.lost === 0)) return `${title}: nenhum transporte perdeu pedidos`;
  const fewest = scenario.fewestLost;
  const others = all.filter((f) => f !== fewest);
  if (fewest !== null)
    return (
      `${title}: ${theTransports([fewest])} perdeu menos pedidos (${num(fewest.lost)}, contra ${listPt(others.map((f) => `${num(f.lost)} no ${transportLabel(f.transport)}`))}), ` +
      `com p99 da fase de ${ms(fewest.latency?.p99)} contra ${listPt(others.map((f) => ms(f.latency?.p99)))}`
    );
  const tied = scenario.leastLost;
  const first = tied[0];
  return `${title}: ${theTransports(tied)} empataram com menos pedidos perdidos (${num(first?.lost ?? null)} cada)`;
}

function scenarioReading(scenario: FaultScenario): string {
  const sentences: string[] = [];
  const all = scenario.byTransport;
  const anyLost = all.some((f) => f.lost > 0);
  if (scenario.kind === 'fault' || anyLost)
    sentences.push(
      `Pedidos perdidos (erros e cancelamentos causados pela falha, sobre os pedidos da fase): ${listPt(all.map((f) => `${transportLabel(f.transport)} ${num(f.lost)} (${share(f.lostShare)})`))}.`,
    );
  if (scenario.kind === 'fault') {
    if (!anyLost)
      sentences.push(
        'Nenhum transporte perdeu pedidos nesta falha: não houve erro, e todo cancelamento teve um motivo de negócio.',
      );
    else if (scenario.fewestLost !== null)
      sentences.push(
        `Menos pedidos perdidos: ${transportLabel(scenario.fewestLost.transport)} (${num(scenario.fewestLost.lost)}).`,
      );
    else
      sentences.push(
        `Empate em menos pedidos perdidos: ${listPt(scenario.leastLost.map((f) => transportLabel(f.transport)))} (${num(scenario.leastLost[0]?.lost ?? null)}).`,
      );
    const clean = all.filter((f) => f.lost > 0 && f.errors === 0);
    if (clean.length > 0) {
      const reasons = new Map<string, number>();
      for (const f of clean)
        for (const [reason, n] of f.faultCancelledByReason)
          reasons.set(reason, (reasons.get(reason) ?? 0) + n);
      const one = clean.length === 1;
      sentences.push(
        `${capitalized(theTransports(clean))} não ${one ? 'registrou' : 'registraram'} nenhum erro e ainda assim ${one ? 'perdeu' : 'perderam'} vendas: a falha virou cancelamento limpo (${counts([...reasons].sort((x, y) => y[1] - x[1]))}), o pedido recusado e compensado.`,
      );
    }
  }
  const growth = all.flatMap((f) =>
    f.p99Ratio === null
      ? []
      : [
          `${transportLabel(f.transport)} ${times(f.p99Ratio)} (${ms(f.latency?.p99)} contra ${ms(f.reference?.latency?.p99)})`,
        ],
  );
  if (growth.length > 0)
    sentences.push(
      scenario.kind === 'fault'
        ? `p99 da fase em relação à mesma taxa sem falha: ${listPt(growth)}.`
        : `p99 com o atraso em relação à mesma taxa sem atraso: ${listPt(growth)}.`,
    );
  const delayed = scenario.delayedInsteadOfLost;
  if (scenario.kind === 'fault' && delayed !== null)
    sentences.push(
      `O ${transportLabel(delayed.transport)} atrasou em vez de perder: perdeu menos pedidos que os outros (${num(delayed.lost)}), e o seu p99 chegou a ${times(delayed.p99Ratio)} o de sem falha.`,
    );
  const asyncPhase = all.find((f) => f.transport === 'async');
  const syncPhases = all.filter((f) => f.transport !== 'async');
  if (scenario.kind === 'fault' && asyncPhase !== undefined && syncPhases.length > 0) {
    const syncFewer = syncPhases.filter((f) => f.lost < asyncPhase.lost);
    if (anyLost && asyncPhase.lost < Math.min(...syncPhases.map((f) => f.lost)))
      sentences.push(
        'Na cadeia síncrona a falha de um serviço vira erro ou cancelamento para quem está comprando naquele momento; no assíncrono o pedido é aceito (202) e pode esperar na fila até o serviço voltar' +
          (delayed === asyncPhase
            ? `, e o custo aparece na latência ponta a ponta (pior segundo com p99 ${ms(asyncPhase.worstSecondP99Ms)}).`
            : '.'),
      );
    else if (syncFewer.length > 0)
      sentences.push(
        `O assíncrono perdeu mais pedidos (${num(asyncPhase.lost)}) que ${theTransports(syncFewer)} nesta falha.`,
      );
    if (asyncPhase.errors > 0)
      sentences.push(
        `O assíncrono também registrou erros (${counts(asyncPhase.errorKinds)}): a falha atingiu um processo que responde ao cliente (a API ou o que ela consulta), ou pedidos passaram do tempo limite do gerador.`,
      );
  }
  if (scenario.kind === 'latency' && growth.length > 0)
    sentences.push(
      'O atraso é aplicado por um proxy TCP a cada trecho de bytes, nos dois sentidos. Na cadeia síncrona ele fica entre `pedidos` e o serviço: cada chamada paga o atraso na ida e na volta, soma-se ao tempo de todo pedido e mantém mais pedidos em voo em todos os serviços anteriores. No assíncrono ele fica entre o worker do serviço e o RabbitMQ: receber o comando, publicar a resposta e confirmar a entrega pagam cada um, mas só a etapa afetada espera e nada a montante fica preso.',
    );
  return sentences.join(' ');
}

function faultsSection(ctx: Context): string[] {
  const { a, results } = ctx;
  if (a.faultScenarios.length === 0)
    return ['### 4.5 Falhas injetadas', '', 'Nenhuma falha foi injetada nesta execução.', ''];
  const lines = [
    '### 4.5 Falhas injetadas',
    '',
    `Cada cenário é uma fase de ${seconds(results.settings.faultSeconds)} no modelo aberto a ${perSecond(results.settings.faultRate)}. ` +
      '`kill` mata (SIGKILL) todos os processos do serviço e os reinicia após a duração indicada; `pause` os congela (SIGSTOP) e depois os retoma (SIGCONT). ' +
      'O gatilho é um instante (`@5s`), um instante sorteado com a semente, ou um ponto lógico (`@payments=60`: logo após o 60º pagamento da fase), o mesmo para todos os transportes. ' +
      'Nos gráficos, por transporte: chegadas, enviados, cancelados e erros por segundo, com a falha (vermelho) e a volta do serviço (verde).',
    '',
    `**Como a falha é medida.** Um pedido **perdido** é um pedido que a falha impediu de ser enviado: terminou em erro, ou \`cancelado\` por um motivo que não é uma recusa de negócio (${codeList(BUSINESS_CANCEL_REASONS)} acontecem também sem falha e não contam). ` +
      'A parcela de perdidos é sobre os pedidos da fase, e a referência é o degrau do modelo aberto do mesmo transporte na mesma taxa, sem falha. ' +
      `A **recuperação** é o tempo da volta do serviço até o primeiro segundo inteiro de envios em que terminou ao menos um pedido, nenhum em erro, e a parcela de \`enviado\` entre os terminados chegou à da referência menos ${num(RECOVERY_TOLERANCE * 100)} pontos percentuais (a linha do tempo por segundo não guarda o motivo de cada cancelamento; por isso o critério usa os enviados).`,
    '',
  ];
  a.faultScenarios.forEach((scenario, i) => {
    lines.push(
      `#### 4.5.${i + 1} ${scenario.kind === 'fault' ? 'Falha' : 'Atraso num salto:'} \`${scenario.title}\``,
      '',
      figure(ctx, CHART_NAMES.fault(scenario.label)),
      markdownTable(
        [
          'transporte',
          'pedidos',
          'enviado',
          'cancelado: recusa / falha',
          'erros',
          'perdidos',
          'goodput (sem falha)',
          'recuperação',
          'p99 da fase (sem falha)',
          'pior p99 de 1 s',
          'violações',
        ],
        scenario.byTransport.map((f) => [
          transportLabel(f.transport),
          num(f.sent),
          num(f.shipped),
          `${num(f.businessCancelled)} / ${num(f.faultCancelled)}`,
          num(f.errors),
          `${num(f.lost)} (${share(f.lostShare)})`,
          `${perSecond(f.goodput)} (${perSecond(f.reference?.goodput)})`,
          f.recoveredAfterS === null ? '—' : seconds(f.recoveredAfterS),
          `${ms(f.latency?.p99)} (${ms(f.reference?.latency?.p99)})`,
          ms(f.worstSecondP99Ms),
          num(f.violations),
        ]),
      ),
      '**O que aconteceu:**',
      '',
      ...scenario.byTransport.map(faultBullet),
      '',
    );
    const reading = scenarioReading(scenario);
    if (reading !== '') lines.push(reading, '');
  });
  return lines;
}

function results4(ctx: Context): string[] {
  return [
    '## 4. Resultados dos Testes',
    '',
    `Máquina: ${describeMachine(ctx.results.machine)}. Versões e configuração completas na seção 8.`,
    '',
    ...latencySection(ctx),
    ...throughputSection(ctx),
    ...closedSection(ctx),
    ...resourcesSection(ctx),
    ...faultsSection(ctx),
  ];
}

// ---------------------------------------------------------------------------------------------
// 5. Comparative analysis, 6. conclusion

const CODE_SIZE_LABELS: Readonly<Record<string, string>> = {
  grpc: 'só gRPC: `.proto`, `entry-points/grpc.ts`, clientes gRPC, grpc-kit',
  rest: 'só REST: `entry-points/http.ts`, clientes REST, http-kit',
  async:
    'só assíncrono: mensagens, workers, `entry-points/broker.ts`, saga, redrive, outbox, messaging, deployables',
  sync: 'orquestração síncrona (comum a gRPC e REST): prazos, compensação, recuperação',
  shared: 'núcleo comum aos três: domínio, aplicação e armazenamento dos serviços',
};

function complexity(ctx: Context): string[] {
  const { a } = ctx;
  const lines = ['### 5.1 Complexidade de implementação e manutenção', ''];
  if (a.codeSize.length > 0) {
    lines.push(
      markdownTable(
        ['parte', 'arquivos', 'linhas de código'],
        a.codeSize.map((r) => [CODE_SIZE_LABELS[r.key] ?? r.key, num(r.files), num(r.lines)]),
      ),
      'Linhas com código (sem linhas em branco e comentários), sem testes e sem código gerado; cada arquivo contado uma vez (`tools/loadgen/src/report/code-size.ts` lista as regras).',
      '',
    );
    const measured = a.linesByTransport.filter((l) => l.lines > 0);
    const sorted = [...measured].sort((x, y) => x.lines - y.lines);
    const least = sorted[0];
    const most = sorted[sorted.length - 1];
    if (least !== undefined && most !== undefined && least !== most)
      lines.push(
        `Código específico de cada variante (para gRPC e REST, somando a orquestração síncrona): ${listPt(measured.map((l) => `${transportLabel(l.transport)} ${num(l.lines)} linhas`))}. ` +
          `O ${transportLabel(most.transport)} precisa de ${times(most.lines / Math.max(1, least.lines))} o código do ${transportLabel(least.transport)}.`,
        '',
      );
  }
  lines.push(
    'Entre os síncronos, o gRPC exige o contrato em `.proto`, geração de código e um mapeamento de erros para status gRPC; o REST exige esquemas JSON, validação e o mapeamento para problem+json — custos parecidos, em lugares diferentes. ' +
      'O assíncrono acrescenta partes que a cadeia síncrona não tem: outbox e relay, inbox e idempotência por mensagem, a saga como máquina de estados, filas de nova tentativa e de mensagens mortas, a varredura de pedidos parados e a autenticação do cliente que agora consulta o pedido depois. ' +
      'Cada parte é pequena e testada, mas a manutenção passa a exigir raciocinar sobre entregas repetidas, fora de ordem e atrasadas.',
    '',
  );
  return lines;
}

function coupling(ctx: Context): string[] {
  const { a } = ctx;
  const kills = a.faultScenarios.filter((s) => s.kind === 'fault');
  const evidence = kills.map(
    (s) =>
      `\`${s.title}\`: ${listPt(s.byTransport.map((f) => `${transportLabel(f.transport)} ${num(f.lost)} (p99 ${ms(f.latency?.p99)})`))}`,
  );
  const shown = kills.filter((s) => {
    const asyncPhase = s.byTransport.find((f) => f.transport === 'async');
    const sync = s.byTransport.filter((f) => f.transport !== 'async');
    return (
      asyncPhase !== undefined &&
      sync.length > 0 &&
      s.delayedInsteadOfLost === asyncPhase &&
      sync.every((f) => f.lost > asyncPhase.lost)
    );
  });
  return [
    '### 5.2 Acoplamento entre serviços',
    '',
    'Na cadeia síncrona o acoplamento é **temporal**: `pedidos` precisa que os quatro serviços da cadeia estejam de pé e rápidos no mesmo instante em que o cliente espera, e conhece o endereço e a interface de cada um. ' +
      'No assíncrono os serviços só compartilham o formato das mensagens e o broker; um serviço fora do ar atrasa os pedidos, mas não impede que sejam aceitos.' +
      (evidence.length === 0
        ? ''
        : ` Medido nas falhas injetadas (pedidos perdidos na fase — erros e cancelamentos causados pela falha — e o p99 da fase): ${evidence.join('; ')}.`) +
      (shown.length === 0
        ? ''
        : ` Em ${listPt(shown.map((s) => `\`${s.title}\``))} o acoplamento apareceu nos números: a cadeia síncrona perdeu pedidos, e o assíncrono perdeu menos e os atrasou.`),
    '',
  ];
}

function scalability(ctx: Context): string[] {
  const { a } = ctx;
  const machine = a.transports
    .filter((t) => t.resources?.machineShare != null)
    .map(
      (t) => `${share(t.resources?.machineShare)} no ${t.label} (a ${perSecond(t.resources?.rate ?? null)})`,
    );
  const saturated = a.transports.filter((t) => (t.resources?.machineShare ?? 0) >= 0.85);
  return [
    '### 5.3 Escalabilidade (horizontal e vertical)',
    '',
    (machine.length === 0
      ? ''
      : `**Vertical.** No degrau usado na seção 4.4, a CPU da máquina inteira estava ocupada em ${listPt(machine)}. `) +
      (saturated.length === 0
        ? 'A CPU não se esgotou, então mais núcleos sozinhos não subiriam o joelho: o limite estava nas esperas (transações no PostgreSQL, o pagamento simulado, filas). '
        : `A CPU se esgotou no ${listPt(saturated.map((t) => t.label))}: nesta máquina, carga, serviços, PostgreSQL e RabbitMQ disputam os mesmos núcleos, e mais núcleos (vertical) ou mais máquinas (horizontal) subiriam o joelho. `),
    '',
    '**Horizontal.** Os serviços síncronos não guardam estado em memória e podem ter réplicas atrás de um balanceador, mas a latência de um pedido continua sendo a soma dos saltos e a cadeia anda no ritmo do serviço mais lento; cada réplica precisa ser dimensionada para o pico. ' +
      'No assíncrono os workers são consumidores concorrentes: basta iniciar mais processos de uma etapa lenta, e a fila absorve picos acima da capacidade momentânea. ' +
      `O efeito de mais workers foi medido à parte em ${docLink(ctx, 'benchmarks/checkout-async.md', 'benchmarks/checkout-async.md')} e ${docLink(ctx, 'benchmarks/checkout-async-io-bound/checkout-async.md', 'benchmarks/checkout-async-io-bound/checkout-async.md')}.`,
    '',
  ];
}

function resilience(ctx: Context): string[] {
  const { a } = ctx;
  const lines = ['### 5.4 Resiliência a falhas', ''];
  const rows = a.faultScenarios.flatMap((s) =>
    s.byTransport.map((f) => [
      `\`${s.title}\``,
      transportLabel(f.transport),
      `${num(f.lost)} (${share(f.lostShare)})`,
      num(f.errors),
      num(f.faultCancelled),
      `${ms(f.latency?.p99)} (${ms(f.reference?.latency?.p99)})`,
      f.recoveredAfterS === null ? '—' : seconds(f.recoveredAfterS),
      num(f.violations),
    ]),
  );
  if (rows.length > 0)
    lines.push(
      markdownTable(
        [
          'cenário',
          'transporte',
          'perdidos',
          'erros',
          'cancelados pela falha',
          'p99 da fase (sem falha)',
          'recuperação',
          'violações',
        ],
        rows,
      ),
    );
  const compared = a.faultScenarios.filter((s) => s.byTransport.length > 1).map(lossComparison);
  lines.push(
    'A cadeia síncrona protege o pedido com prazos, compensações e um laço de recuperação: um pedido que encontra um serviço fora do ar termina em erro ou `cancelado`, e o cliente precisa tentar de novo. ' +
      'O assíncrono troca a resposta imediata por durabilidade: a mensagem fica na fila (ou na outbox) até o serviço voltar, e uma mensagem perdida é reenviada pela varredura. ' +
      (compared.length === 0 ? '' : `Nas falhas medidas: ${compared.join('; ')}. `) +
      (a.auditViolations === 0
        ? 'Em todas as fases, inclusive nas falhas, a auditoria não encontrou nenhuma violação de invariante (estoque conservado, nenhum pedido cobrado duas vezes, uma nota e um envio por pedido pago, nada despachado sem pagamento).'
        : `A auditoria encontrou ${plural(a.auditViolations, 'violação', 'violações')} (seção 7): a resiliência medida tem lacunas a corrigir.`),
    '',
  );
  return lines;
}

function performance(ctx: Context): string[] {
  const { a } = ctx;
  const items = a.transports.map(
    (t) =>
      `- **${t.label}:** baixa carga ${latencyPair(t.lowLoad?.latency ?? null)}; joelho ${kneeText(t)}; maior vazão ${perSecond(t.peak?.throughput ?? null)}.`,
  );
  const grpc = a.transports.find((t) => t.transport === 'grpc');
  const rest = a.transports.find((t) => t.transport === 'rest');
  const g = grpc?.lowLoad?.latency?.p50 ?? null;
  const r = rest?.lowLoad?.latency?.p50 ?? null;
  const pair =
    g === null || r === null || g <= 0 || r <= 0
      ? ''
      : g < r
        ? `Entre os síncronos, o gRPC teve p50 ${times(r / g)} menor que o REST em baixa carga (${ms(g)} vs. ${ms(r)}): mensagens binárias e uma conexão HTTP/2 multiplexada por vizinho custam menos que JSON sobre HTTP/1.1.`
        : g > r
          ? `Entre os síncronos, o REST teve p50 menor que o gRPC em baixa carga (${ms(r)} vs. ${ms(g)}, ${times(g / r)}): nesta medição a serialização e o transporte pesam menos que o resto do pedido.`
          : `Entre os síncronos, gRPC e REST tiveram o mesmo p50 em baixa carga (${ms(g)}).`;
  return [
    '### 5.5 Performance (latência e vazão) sob diferentes cargas',
    '',
    ...items,
    '',
    ...(pair === '' ? [] : [pair, '']),
  ];
}

function observability(): string[] {
  return [
    '### 5.6 Observabilidade e monitoramento',
    '',
    '- **Síncrono:** um pedido é uma árvore de chamadas com o mesmo `traceparent`; o log de cada serviço traz o id de rastreamento, `/metrics` (Prometheus) mede cada rota e a latência de cada salto aparece no chamador. Um erro volta ao cliente com o problema (problem+json ou o status gRPC) de onde ocorreu.',
    '- **Assíncrono:** o `trace_id` viaja no envelope de cada mensagem, e `GET /pedidos/{id}` mostra o histórico das etapas; mas o fluxo não é uma pilha de chamadas, e entender um pedido exige juntar logs de vários workers. Em troca, a fila é um indicador de saúde que a cadeia síncrona não tem: `checkout_outbox_pending` e `checkout_queue_messages` (prontas, em nova tentativa, mortas) mostram atraso e falha antes do cliente reclamar, e a ferramenta de DLQ lista e reprocessa mensagens mortas.',
    '- Para este relatório, o gerador de carga mede de fora o que o cliente vê (latência, erros por tipo) e o auditor confere os seis bancos depois de cada fase — a verificação que nenhuma métrica de processo substitui.',
    '',
  ];
}

function conclusion(ctx: Context): string[] {
  const { a } = ctx;
  const lines = ['## 6. Conclusão', ''];
  const sa = a.syncVsAsync;
  const faults = a.faultScenarios.filter((s) => s.kind === 'fault');
  const asyncFewer = faults.filter((s) => {
    const asyncPhase = s.byTransport.find((f) => f.transport === 'async');
    const sync = s.byTransport.filter((f) => f.transport !== 'async');
    return (
      asyncPhase !== undefined && sync.length > 0 && asyncPhase.lost < Math.min(...sync.map((f) => f.lost))
    );
  });
  const noneLost = faults.every((s) => s.byTransport.every((f) => f.lost === 0));
  const delays = asyncFewer.flatMap((s) => {
    const asyncPhase = s.byTransport.find((f) => f.transport === 'async');
    return asyncPhase === undefined || asyncPhase.p99Ratio === null || asyncPhase.p99Ratio < DELAY_P99_FACTOR
      ? []
      : [
          `p99 ${ms(asyncPhase.latency?.p99)} contra ${ms(asyncPhase.reference?.latency?.p99)} sem falha em \`${s.title}\``,
        ];
  });
  const lostIn = (s: FaultScenario) =>
    `\`${s.title}\`: ${listPt(s.byTransport.map((f) => `${transportLabel(f.transport)} ${num(f.lost)}`))}`;
  const fastest = a.byLowLoadLatency[0];
  if (fastest !== undefined)
    lines.push(
      `- **Latência com pouca carga:** nesta execução o ${fastest.label} foi o mais rápido (p50 ${ms(fastest.lowLoad?.latency?.p50)}).` +
        (sa === null || sa.lowLoadRatio === null
          ? ''
          : sa.lowLoadRatio > 1
            ? ` A cadeia síncrona é a escolha quando o cliente precisa do resultado final na própria resposta (confirmar o pagamento na tela de checkout) e a carga cabe no joelho.`
            : ' A vantagem de latência que o seed espera da cadeia síncrona não apareceu nesta máquina; o argumento a favor dela fica sendo a simplicidade e a resposta final na própria chamada.'),
    );
  if (sa !== null && faults.length > 0)
    lines.push(
      asyncFewer.length > 0
        ? `- **Falhas e picos:** o assíncrono perdeu menos pedidos (erros e cancelamentos causados pela falha) que a cadeia síncrona em ${num(asyncFewer.length)} de ${plural(faults.length, 'falha', 'falhas')} (${asyncFewer.map(lostIn).join('; ')})${delays.length === 0 ? '' : `, pagando em latência (${delays.join('; ')})`}. Ele é a escolha quando serviços podem cair ou ficar lentos, quando a carga tem picos e quando o cliente aceita acompanhar o pedido depois do 202.`
        : noneLost
          ? '- **Falhas e picos:** nenhum transporte perdeu pedidos nas falhas injetadas nesta execução (nenhum erro, nenhum cancelamento causado pela falha); ainda assim o assíncrono é o modelo que permite aceitar pedidos com um serviço fora do ar e absorver picos em fila.'
          : `- **Falhas e picos:** nesta execução o assíncrono não perdeu menos pedidos que a cadeia síncrona nas falhas injetadas (${faults.map(lostIn).join('; ')}); ainda assim ele é o que permite aceitar pedidos com um serviço fora do ar e absorver picos em fila.`,
    );
  else if (sa !== null)
    lines.push(
      '- **Falhas e picos:** nenhuma falha foi injetada nesta execução; o assíncrono é o modelo que permite aceitar pedidos com um serviço fora do ar e absorver picos em fila.',
    );
  const grpc = a.transports.find((t) => t.transport === 'grpc');
  const rest = a.transports.find((t) => t.transport === 'rest');
  if (grpc !== undefined && rest !== undefined) {
    const g = grpc.lowLoad?.latency?.p50 ?? null;
    const r = rest.lowLoad?.latency?.p50 ?? null;
    const faster = g !== null && r !== null ? (g < r ? grpc : r < g ? rest : null) : null;
    lines.push(
      `- **gRPC ou REST:** ${faster === null ? 'os dois ficaram empatados em baixa carga' : `o ${faster.label} foi mais rápido em baixa carga`} e os joelhos foram ${kneeText(grpc)} (gRPC) e ${kneeText(rest)} (REST). gRPC cabe entre serviços internos (contrato tipado, deadlines nativos, HTTP/2); REST, onde o cliente é um navegador ou um parceiro externo e a interface precisa ser legível e cacheável.`,
    );
  }
  lines.push(
    `- **Custo:** ${a.byCpuPerOrder.length === 0 ? 'não houve medida de CPU por pedido.' : `CPU por pedido de ${listPt(a.byCpuPerOrder.map((c) => `${ms(c.ms)} no ${c.transport.label}`))}.`} O assíncrono cobra em complexidade (seção 5.1) e em latência ponta a ponta o que devolve em desacoplamento e tolerância a falhas.`,
    '',
    'Em síntese: síncrono quando a resposta precisa ser imediata e completa e os serviços são confiáveis; assíncrono quando disponibilidade e absorção de picos importam mais que a latência de cada pedido — e, em ambos, idempotência e auditoria das invariantes, porque as falhas medidas acima acontecem.',
    '',
  );
  return lines;
}

// ---------------------------------------------------------------------------------------------
// 7. Audit, 8. reproduce

function stockCell(audit: AuditFindings): string {
  const { initial, available, reserved, sold } = audit.stock;
  const diff = initial - (available + reserved + sold);
  return `${num(initial)} = ${num(available)} + ${num(reserved)} + ${num(sold)} ${diff === 0 ? '✓' : `✗ (diferença ${num(diff)})`}`;
}

function auditSection(ctx: Context): string[] {
  const { a } = ctx;
  const lines = [
    '## 7. Auditoria',
    '',
    'Depois de cada fase o auditor espera os pedidos em andamento terminarem e confere os seis bancos: conservação do estoque (inicial = disponível + reservado + vendido), nenhum pedido com dois pagamentos, nenhum envio sem pagamento aprovado, uma nota e um envio por pedido enviado, todo pedido num estado terminal (no síncrono, um pedido parado no meio é uma violação: não falhou de forma limpa).',
    '',
  ];
  for (const t of a.transports) {
    const phases = [...t.results.open.steps, ...t.results.closed, ...t.results.faults];
    lines.push(
      `**${t.label}** — ${plural(t.audit.phases, 'fase')}, ${plural(t.audit.violations, 'violação', 'violações')}, ${plural(t.audit.unsettled, 'pedido', 'pedidos')} sem desfecho.`,
      '',
      markdownTable(
        [
          'fase',
          'pedidos por status',
          'pagamentos por status',
          'estoque: inicial = disponível + reservado + vendido',
          'espera',
          'sem desfecho',
          'violações',
        ],
        phases.map((p) => [
          p.label,
          record(p.audit.orders),
          record(p.audit.payments),
          stockCell(p.audit),
          seconds(p.audit.settledAfterSeconds),
          num(p.audit.unsettled),
          num(p.audit.violations.length),
        ]),
      ),
    );
    for (const troubled of t.audit.troubled) {
      const shown = troubled.audit.violations.slice(0, 10).map((v) => `  - ${v}`);
      const more = troubled.audit.violations.length - shown.length;
      lines.push(
        `- Fase \`${troubled.label}\`:`,
        ...shown,
        ...(more > 0 ? [`  - … e mais ${num(more)}`] : []),
        ...(troubled.audit.unsettled > 0
          ? [`  - ${plural(troubled.audit.unsettled, 'pedido', 'pedidos')} sem desfecho ao fim da espera`]
          : []),
      );
    }
    if (t.audit.troubled.length > 0) lines.push('');
  }
  return lines;
}

/** The command line that repeats this run (the options of `npm run bench:checkout`, which the report command forwards). */
export function reproduceCommand(s: CheckoutBenchSettings): string {
  const args = [
    `--transports ${s.transports.join(',')}`,
    `--rates ${s.rates.join(',')}`,
    `--step-seconds ${s.stepSeconds}`,
    `--target-p99-ms ${s.targetP99Ms}`,
    `--concurrency ${s.concurrencies.join(',')}`,
    `--closed-seconds ${s.closedSeconds}`,
    ...(s.faults.length === 0 && s.latency === null
      ? ['--no-faults']
      : s.faults.map((f) => `--fault '${f}'`)),
    ...(s.latency === null ? [] : [`--latency ${s.latency}`]),
    `--fault-rate ${s.faultRate}`,
    `--fault-seconds ${s.faultSeconds}`,
    `--timeout-ms ${s.timeoutMs}`,
    `--payment-latency ${s.payment.minMs}-${s.payment.maxMs}`,
    `--rejection ${s.payment.rejection}`,
    `--customers ${s.customers}`,
    `--warmup-orders ${s.warmupOrders}`,
    `--seed ${s.seed}`,
  ];
  return `npm run report:checkout -- ${args.join(' ')}`;
}

function reproduce(ctx: Context): string[] {
  const { results } = ctx;
  const s = results.settings;
  const v = results.versions;
  return [
    '## 8. Como reproduzir',
    '',
    'Com PostgreSQL e RabbitMQ locais (`DATABASE_URL`, `AMQP_URL`; sem elas, os padrões de desenvolvimento):',
    '',
    '```bash',
    '# mede tudo de novo e regenera este relatório e os gráficos',
    reproduceCommand(s),
    '# só regenera o texto e os gráficos a partir de resultados salvos',
    `npm run report:checkout -- --from ${ctx.paths.resultsFromRoot}`,
    '```',
    '',
    `Resultados brutos desta execução (inclusive os histogramas HDR): [${ctx.paths.results.split('/').pop() ?? ''}](${ctx.paths.results}).`,
    '',
    `- **Máquina:** ${describeMachine(results.machine)}`,
    `- **Versões:** Node ${v.node}, PostgreSQL ${v.postgres}, RabbitMQ ${v.rabbitmq}`,
    `- **Gerado em:** ${results.generatedAt}; medição total ${seconds(results.totalSeconds)}; processos prontos em ${listPt(ctx.a.transports.map((t) => `${seconds(t.results.startupSeconds)} (${t.label})`))}`,
    '',
    markdownTable(
      ['configuração', 'valor'],
      [
        ['transportes', s.transports.join(', ')],
        ['semente', String(s.seed)],
        [
          'simulador de pagamento',
          `${ms(s.payment.minMs)}–${ms(s.payment.maxMs)}, recusa ${share(s.payment.rejection)}`,
        ],
        [
          'modelo aberto',
          `${s.rates.map((r) => num(r)).join(', ')} pedidos/s, ${seconds(s.stepSeconds)} por degrau, alvo p99 ${ms(s.targetP99Ms)}`,
        ],
        [
          'modelo fechado',
          `${s.concurrencies.map((c) => num(c)).join(', ')} clientes, ${seconds(s.closedSeconds)} cada`,
        ],
        ['falhas', s.faults.length === 0 ? '—' : s.faults.map((f) => `\`${f}\``).join(', ')],
        ['atraso num salto', s.latency === null ? '—' : `\`${s.latency}\``],
        ['fases de falha', `${perSecond(s.faultRate)}, ${seconds(s.faultSeconds)}`],
        ['tempo limite por pedido', ms(s.timeoutMs)],
        ['clientes (contas)', num(s.customers)],
        ['pedidos de aquecimento', num(s.warmupOrders)],
      ],
    ),
    ...(s.notes.length === 0
      ? []
      : ['Notas da execução (como registradas pelo gerador):', '', ...s.notes.map((n) => `- ${n}`), '']),
    'Código-fonte: `systems/checkout/` (serviços, contratos, clientes, variante assíncrona), `packages/` (grpc-kit, http-kit, messaging, outbox) e `tools/loadgen/` (gerador de carga, falhas, auditor e este relatório).',
    '',
  ];
}

// ---------------------------------------------------------------------------------------------

export function renderReport(
  results: CheckoutBenchResults,
  charts: readonly ChartFile[],
  paths: ReportPaths = DEFAULT_REPORT_PATHS,
): string {
  const ctx: Context = { results, a: analyzeResults(results), charts, paths };
  const sections = [
    '# Relatório: checkout distribuído — gRPC, REST e assíncrono',
    '',
    `Gerado por \`npm run report:checkout\` a partir de [${paths.results.split('/').pop() ?? ''}](${paths.results}), execução de ${results.generatedAt}. ` +
      'Todos os números do texto vêm desses resultados; rodar o comando de novo mede outra vez e regenera texto e gráficos (seção 8).',
    '',
    '**Resumo**',
    '',
    ...summary(ctx),
    '',
    ...introduction(ctx),
    ...architectures(ctx),
    ...implementation(ctx),
    ...results4(ctx),
    '## 5. Análise Comparativa',
    '',
    ...complexity(ctx),
    ...coupling(ctx),
    ...scalability(ctx),
    ...resilience(ctx),
    ...performance(ctx),
    ...observability(),
    ...conclusion(ctx),
    ...auditSection(ctx),
    ...reproduce(ctx),
  ];
  return `${sections
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}
