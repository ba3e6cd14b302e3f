/** Charts of a benchmark report: a Vega-Lite spec rendered to SVG by Vega, and to PNG by resvg. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** A chart to render: `file` is the stem of its two files (`<file>.svg`, `<file>.png`). */
export interface Chart {
  /** What the report calls the chart (a key to find it by, or its alt text). */
  name: string;
  file: string;
  spec: TopLevelSpec;
}

/** A rendered chart: its name and its file names, relative to the output folder. */
export interface ChartFile {
  name: string;
  svg: string;
  png: string;
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** PNG at twice the SVG's size (sharp in Markdown viewers), text in DejaVu Sans like the SVG. */
export function svgToPng(svg: string): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: 2 },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

/** Writes `<file>.svg` and `<file>.png` of every chart into `outDir`, in order. */
export async function writeCharts(outDir: string, charts: readonly Chart[]): Promise<ChartFile[]> {
  const files: ChartFile[] = [];
  for (const chart of charts) {
    const svg = await renderSvg(chart.spec);
    const file = { name: chart.name, svg: `${chart.file}.svg`, png: `${chart.file}.png` };
    writeFileSync(join(outDir, file.svg), svg);
    writeFileSync(join(outDir, file.png), svgToPng(svg));
    files.push(file);
  }
  return files;
}
