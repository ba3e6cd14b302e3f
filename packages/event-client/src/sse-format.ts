/** Writing the SSE wire format (the inverse of sse-parser.ts). */

const NEWLINE = /\r\n|\r|\n/;

/**
 * One event: `id:` and `event:` lines if given, one `data:` line per line of `data` (so a
 * multi-line payload arrives intact), and the blank line that dispatches it.
 */
export function formatSseEvent(event: { id?: number | string; event?: string; data: string }): string {
  let text = '';
  if (event.id !== undefined) {
    const id = String(event.id);
    if (NEWLINE.test(id) || id.includes('\0')) throw new RangeError('an SSE id cannot hold a newline or NUL');
    text += `id: ${id}\n`;
  }
  if (event.event !== undefined) {
    if (NEWLINE.test(event.event)) throw new RangeError('an SSE event name cannot hold a newline');
    text += `event: ${event.event}\n`;
  }
  for (const line of event.data.split(NEWLINE)) text += `data: ${line}\n`;
  return `${text}\n`;
}

/** A comment line (ignored by every client; keeps proxies and idle timers from closing the stream). */
export function formatSseComment(text: string): string {
  return text
    .split(NEWLINE)
    .map((line) => `: ${line}\n`)
    .join('')
    .concat('\n');
}
