/**
 * The charts of RELATORIO-checkout.md (Vega-Lite specs, pure; @dslab/bench-kit renders them to SVG
 * and PNG). Titles and axes in Portuguese, like the report. One colour per transport everywhere.
 */
import type { Chart } from '@dslab/bench-kit';
import type { TopLevelSpec } from 'vega-lite';
import type { CheckoutBenchResults, PhaseResult, TimelineBucket } from '../results.js';
import { analyzeResults, transportLabel, type ReportAnalysis } from './analysis.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

const CONFIG = {
  font: 'DejaVu Sans',
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, labelLimit: 0, orient: 'bottom' as const },
  header: { labelFontSize: 12, titleFontSize: 12 },
};

/** A dash legend drawn as strokes (a dot would not show the dash). */
const DASH_LEGEND = { symbolType: 'stroke', symbolStrokeColor: 'black' } as const;

/** The same colour for a transport in every chart. */
function transportColor(results: CheckoutBenchResults) {
  const palette: Record<string, string> = { gRPC: '#4c78a8', REST: '#f58518', assíncrono: '#54a24b' };
  const domain = results.transports.map((t) => transportLabel(t.transport));
  return {
    field: 'transporte',
    type: 'nominal' as const,
    title: null,
    scale: { domain, range: domain.map((d) => palette[d] ?? '#888888') },
  };
}

/** The names the report finds its charts by (also their alt text). */
export const CHART_NAMES = {
  latency: 'Latência ponta a ponta (p50 e p99) vs. taxa oferecida',
  throughput: 'Vazão e goodput alcançados vs. taxa oferecida',
  closed: 'Modelo fechado: vazão e p99 vs. clientes simultâneos',
  cpu: 'CPU média por processo no joelho',
  memory: 'Memória (RSS máximo) por processo no joelho',
  fault: (label: string) => `Linha do tempo: ${label}`,
} as const;

/** A file stem from a phase label: "fault kill:pagamentos@5s+5s" → "fault-kill-pagamentos-5s-5s". */
export function slug(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function latencySpec(results: CheckoutBenchResults, analysis: ReportAnalysis): TopLevelSpec {
  const values = analysis.transports.flatMap((t) =>
    t.steps.flatMap((s) =>
      s.latency === null
        ? []
        : (['p50', 'p99'] as const)
            // A log scale has no 0: a bucket of sub-µs answers would not be drawn anyway.
            .filter((p) => (s.latency?.[p] ?? 0) > 0)
            .map((p) => ({
              transporte: t.label,
              taxa: s.rate,
              ms: round(s.latency?.[p] ?? 0),
              percentil: p,
            })),
    ),
  );
  const x = { field: 'taxa', type: 'quantitative' as const, title: 'taxa oferecida (pedidos/s)' };
  const y = {
    field: 'ms',
    type: 'quantitative' as const,
    title: 'latência ponta a ponta (ms, escala log)',
    scale: { type: 'log' as const },
  };
  return {
    $schema: SCHEMA,
    background: 'white',
    width: 520,
    height: 320,
    config: CONFIG,
    title: {
      text: 'Latência vs. carga (modelo aberto)',
      subtitle: `alvo p99 ${results.settings.targetP99Ms} ms; ${results.settings.stepSeconds} s por degrau; erros incluídos`,
    },
    data: { values },
    layer: [
      {
        mark: { type: 'line' },
        encoding: {
          x,
          y,
          color: transportColor(results),
          strokeDash: { field: 'percentil', type: 'nominal', title: null, legend: DASH_LEGEND },
        },
      },
      // Points in a layer of their own: on the line mark they would hide the dash legend's strokes.
      { mark: { type: 'point', filled: true }, encoding: { x, y, color: transportColor(results) } },
      {
        data: {
          values: [
            { ms: results.settings.targetP99Ms, label: `alvo p99 ${results.settings.targetP99Ms} ms` },
          ],
        },
        layer: [
          {
            mark: { type: 'rule', color: 'gray', strokeDash: [2, 2] },
            encoding: { y: { field: 'ms', type: 'quantitative' } },
          },
          {
            mark: { type: 'text', align: 'left', dy: -6, x: 4, color: 'gray', fontSize: 10 },
            encoding: { y: { field: 'ms', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
          },
        ],
      },
    ],
  };
}

export function throughputSpec(results: CheckoutBenchResults, analysis: ReportAnalysis): TopLevelSpec {
  const values = analysis.transports.flatMap((t) =>
    t.steps.flatMap((s) => [
      { transporte: t.label, taxa: s.rate, valor: round(s.throughput), medida: 'vazão (todos os desfechos)' },
      { transporte: t.label, taxa: s.rate, valor: round(s.goodput), medida: 'goodput (enviados)' },
    ]),
  );
  const rates = [...new Set(analysis.transports.flatMap((t) => t.steps.map((s) => s.rate)))].sort(
    (a, b) => a - b,
  );
  const x = { field: 'taxa', type: 'quantitative' as const, title: 'taxa oferecida (pedidos/s)' };
  return {
    $schema: SCHEMA,
    background: 'white',
    width: 520,
    height: 320,
    config: CONFIG,
    title: {
      text: 'Vazão alcançada vs. taxa oferecida',
      subtitle: 'cinza pontilhado: vazão = taxa oferecida',
    },
    layer: [
      {
        data: { values: rates.map((r) => ({ taxa: r, valor: r })) },
        mark: { type: 'line', color: 'gray', strokeDash: [2, 2] },
        encoding: { x, y: { field: 'valor', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'line' },
        encoding: {
          x,
          y: { field: 'valor', type: 'quantitative', title: 'pedidos/s' },
          color: transportColor(results),
          strokeDash: { field: 'medida', type: 'nominal', title: null, legend: DASH_LEGEND },
        },
      },
      {
        data: { values },
        mark: { type: 'point', filled: true },
        encoding: { x, y: { field: 'valor', type: 'quantitative' }, color: transportColor(results) },
      },
    ],
  };
}

export function closedSpec(results: CheckoutBenchResults, analysis: ReportAnalysis): TopLevelSpec {
  const values = analysis.transports.flatMap((t) =>
    t.closed.map((c) => ({
      transporte: t.label,
      clientes: c.concurrency,
      vazao: round(c.throughput),
      p99: c.latency === null ? null : round(c.latency.p99),
    })),
  );
  const x = { field: 'clientes', type: 'quantitative' as const, title: 'clientes simultâneos' };
  const panel = (field: string, title: string) => ({
    width: 260,
    height: 240,
    mark: { type: 'line' as const, point: true },
    encoding: {
      x,
      y: { field, type: 'quantitative' as const, title },
      color: transportColor(results),
    },
  });
  return {
    $schema: SCHEMA,
    background: 'white',
    config: CONFIG,
    title: {
      text: 'Modelo fechado: cada cliente envia o próximo pedido quando o anterior termina',
      subtitle: `${results.settings.closedSeconds} s por execução`,
    },
    data: { values },
    hconcat: [panel('vazao', 'vazão (pedidos/s)'), panel('p99', 'p99 ponta a ponta (ms)')],
  };
}

/** Bars per process, grouped by transport, from the phase each transport's resources were taken at. */
function resourceSpec(
  results: CheckoutBenchResults,
  analysis: ReportAnalysis,
  measure: 'cpu' | 'rss',
): TopLevelSpec {
  const values = analysis.transports.flatMap((t) => {
    const r = t.resources;
    if (r === null) return [];
    const rows = r.processes.map((p) => ({
      transporte: t.label,
      processo: p.name,
      valor: measure === 'cpu' ? p.cpuMeanPercent : p.rssMaxBytes === null ? null : p.rssMaxBytes / 2 ** 20,
    }));
    const engines =
      measure === 'cpu'
        ? [
            { transporte: t.label, processo: 'postgres', valor: r.postgresCpuPercent },
            { transporte: t.label, processo: 'rabbitmq', valor: r.rabbitmqCpuPercent },
            { transporte: t.label, processo: 'loadgen', valor: r.loadgenCpuPercent },
          ]
        : [];
    return [...rows, ...engines]
      .filter((row): row is { transporte: string; processo: string; valor: number } => row.valor !== null)
      .map((row) => ({ ...row, valor: round(row.valor, 1) }));
  });
  const at = analysis.transports
    .map(
      (t) =>
        `${t.label} ${t.resources?.rate === null || t.resources === null ? '—' : `${t.resources.rate}/s`}`,
    )
    .join(', ');
  return {
    $schema: SCHEMA,
    background: 'white',
    width: { step: 14 },
    height: 280,
    config: CONFIG,
    title: {
      text:
        measure === 'cpu'
          ? 'CPU média por processo (% de um núcleo)'
          : 'Memória residente máxima por processo (MiB)',
      subtitle: ['no degrau do joelho (ou o último):', at],
    },
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'processo', type: 'nominal', title: null, axis: { labelAngle: -40 } },
      xOffset: { field: 'transporte', type: 'nominal' },
      y: { field: 'valor', type: 'quantitative', title: measure === 'cpu' ? '% de um núcleo' : 'MiB' },
      color: transportColor(results),
    },
  };
}

/** The fault timeline's lines, in legend order, and their colours. */
const FAULT_SERIES = [
  { serie: 'chegadas/s', color: '#bbbbbb', value: (b: TimelineBucket) => b.sent },
  { serie: 'enviados/s', color: '#4c78a8', value: (b: TimelineBucket) => b.shipped },
  { serie: 'cancelados/s', color: '#f58518', value: (b: TimelineBucket) => b.cancelled },
  { serie: 'erros/s', color: '#9d2a8f', value: (b: TimelineBucket) => b.errors },
] as const;

/**
 * One fault scenario: per transport (one row each), arrivals and orders shipped, cancelled and in
 * error per second, with vertical rules where the fault fired (red) and where the service was back
 * (green).
 */
export function faultSpec(results: CheckoutBenchResults, label: string, title = label): TopLevelSpec {
  const phases = results.transports.flatMap((t) =>
    t.faults.filter((f) => f.label === label).map((phase) => ({ transport: t.transport, phase })),
  );
  // A step-after line ends at its last point: the last second gets a closing point at its end.
  const series = (transport: string, phase: PhaseResult) => {
    const last = phase.timeline[phase.timeline.length - 1];
    const points = last === undefined ? [] : [...phase.timeline, { ...last, t: last.t + 1 }];
    return points.flatMap((b) =>
      FAULT_SERIES.map((s) => ({
        transporte: transportLabel(transport),
        t: b.t,
        serie: s.serie,
        valor: s.value(b),
        tipo: 'linha',
      })),
    );
  };
  const rules = (transport: string, phase: PhaseResult) =>
    phase.faults.flatMap((e) => [
      ...(e.firedAtS === null
        ? []
        : [
            { transporte: transportLabel(transport), t: e.firedAtS, serie: 'falha', valor: 0, tipo: 'regra' },
          ]),
      ...(e.restoredAtS === null
        ? []
        : [
            {
              transporte: transportLabel(transport),
              t: e.restoredAtS,
              serie: 'restaurado',
              valor: 0,
              tipo: 'regra',
            },
          ]),
    ]);
  const values = phases.flatMap(({ transport, phase }) => [
    ...series(transport, phase),
    ...rules(transport, phase),
  ]);
  const rate = phases[0]?.phase.offeredRate;
  return {
    $schema: SCHEMA,
    background: 'white',
    config: CONFIG,
    title: {
      text: title,
      // Two short lines: Vega measures text wider than it draws it, and one long line widens the canvas.
      subtitle: [
        `${rate === null || rate === undefined ? '' : `${rate} pedidos/s; `}s desde o primeiro envio`,
        'vermelho: falha injetada; verde: serviço de volta',
      ],
    },
    data: { values },
    facet: {
      row: {
        field: 'transporte',
        type: 'nominal',
        title: null,
        sort: results.transports.map((t) => transportLabel(t.transport)),
      },
    },
    spec: {
      width: 520,
      height: 140,
      layer: [
        {
          transform: [{ filter: "datum.tipo === 'linha'" }],
          mark: { type: 'line', interpolate: 'step-after' },
          encoding: {
            x: { field: 't', type: 'quantitative', title: 's desde o início da fase' },
            y: { field: 'valor', type: 'quantitative', title: 'pedidos/s' },
            color: {
              field: 'serie',
              type: 'nominal',
              title: null,
              scale: {
                domain: [...FAULT_SERIES.map((s) => s.serie), 'falha', 'restaurado'],
                range: [...FAULT_SERIES.map((s) => s.color), '#d62728', '#2ca02c'],
              },
            },
          },
        },
        {
          transform: [{ filter: "datum.tipo === 'regra'" }],
          mark: { type: 'rule', strokeDash: [4, 3], strokeWidth: 2 },
          encoding: {
            x: { field: 't', type: 'quantitative' },
            color: { field: 'serie', type: 'nominal' },
          },
        },
      ],
    },
  };
}

/** File stem of a fault scenario's chart (the n-th scenario, 1-based). */
export function faultChartFile(index: number, label: string): string {
  return `falha-${index + 1}-${slug(label)}`;
}

export function reportCharts(results: CheckoutBenchResults): Chart[] {
  const analysis = analyzeResults(results);
  const charts: Chart[] = [
    { name: CHART_NAMES.latency, file: 'latencia-vs-carga', spec: latencySpec(results, analysis) },
    { name: CHART_NAMES.throughput, file: 'vazao-vs-carga', spec: throughputSpec(results, analysis) },
  ];
  if (analysis.transports.some((t) => t.closed.length > 0))
    charts.push({ name: CHART_NAMES.closed, file: 'modelo-fechado', spec: closedSpec(results, analysis) });
  if (analysis.transports.some((t) => t.resources !== null))
    charts.push(
      { name: CHART_NAMES.cpu, file: 'cpu-por-processo', spec: resourceSpec(results, analysis, 'cpu') },
      {
        name: CHART_NAMES.memory,
        file: 'memoria-por-processo',
        spec: resourceSpec(results, analysis, 'rss'),
      },
    );
  analysis.faultScenarios.forEach((scenario, i) => {
    charts.push({
      name: CHART_NAMES.fault(scenario.label),
      file: faultChartFile(i, scenario.label),
      spec: faultSpec(
        results,
        scenario.label,
        `${scenario.kind === 'fault' ? 'Falha' : 'Atraso num salto:'} ${scenario.title}`,
      ),
    });
  });
  return charts;
}
