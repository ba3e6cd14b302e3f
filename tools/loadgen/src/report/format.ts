/**
 * Numbers as the Portuguese report writes them (pure): decimal comma, dot for thousands, "—" for
 * a figure that is missing (never "NaN" or "undefined" in the text).
 */

function missing(value: number | null | undefined): value is null | undefined {
  return value === null || value === undefined || !Number.isFinite(value);
}

/** 1234.5 → "1.234,5" with `digits` decimals; "—" when missing. */
export function num(value: number | null | undefined, digits = 0): string {
  if (missing(value)) return '—';
  return value.toLocaleString('pt-BR', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Milliseconds with about three significant digits and the unit: "4,20 ms", "12,3 ms", "250 ms". */
export function ms(value: number | null | undefined): string {
  if (missing(value)) return '—';
  return `${num(value, value < 10 ? 2 : value < 100 ? 1 : 0)} ms`;
}

/** Seconds with one decimal: "5,3 s". */
export function seconds(value: number | null | undefined): string {
  return missing(value) ? '—' : `${num(value, 1)} s`;
}

/** Orders per second: "38,5/s" (whole numbers without decimals: "40/s"). */
export function perSecond(value: number | null | undefined): string {
  if (missing(value)) return '—';
  return `${num(value, Number.isInteger(value) ? 0 : 1)}/s`;
}

/** A percentage given in percent: "45 %" (one decimal below 10: "2,5 %"). */
export function percent(value: number | null | undefined): string {
  if (missing(value)) return '—';
  return `${num(value, Math.abs(value) < 10 && value !== 0 ? 1 : 0)} %`;
}

/** A fraction 0–1 as a percentage: 0.025 → "2,5 %". */
export function share(value: number | null | undefined): string {
  return missing(value) ? '—' : percent(value * 100);
}

/** A ratio: "2,50×" (more decimals the smaller it is). */
export function times(value: number | null | undefined): string {
  if (missing(value)) return '—';
  return `${num(value, value >= 10 ? 1 : value >= 0.1 ? 2 : 3)}×`;
}

/** Bytes as whole MiB: "85 MiB". */
export function mib(bytes: number | null | undefined): string {
  return missing(bytes) ? '—' : `${num(bytes / 2 ** 20)} MiB`;
}

/** "1 pedido", "3 pedidos" (the plural with an s). */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${num(count)} ${count === 1 ? singular : pluralForm}`;
}

/** "a, b e c". */
export function listPt(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} e ${items[items.length - 1] ?? ''}`;
}
