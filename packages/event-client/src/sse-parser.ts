/**
 * A parser of the Server-Sent Events wire format (WHATWG HTML, "9.2.6 Interpreting an event
 * stream"), fed decoded text in chunks of any size:
 *
 * - lines end in CRLF, LF or a lone CR, and a CRLF may be split between two chunks;
 * - a line starting with ":" is a comment (heartbeats);
 * - `data:` lines accumulate, joined by "\n"; a blank line dispatches the event, an event
 *   without data is not dispatched; a single space after the colon is removed;
 * - `id:` sets the last event id (kept for later events; ignored if it contains NUL), also when
 *   the event itself is not dispatched; `retry:` takes digits only; unknown fields are ignored;
 * - a leading byte-order mark is dropped; an event cut off by the end of the stream is discarded.
 *
 * Bytes must be decoded with a streaming decoder (`TextDecoder#decode(chunk, { stream: true })`)
 * so a multi-byte character split between chunks survives.
 */
export interface SseMessage {
  /** The last event id in effect when the event was dispatched (undefined when none or empty). */
  id: string | undefined;
  /** The `event:` name, "message" when absent. */
  event: string;
  data: string;
}

export interface SseParser {
  push(text: string): void;
  /** The stream ended: whatever event was still being assembled is discarded, as the spec says. */
  end(): void;
  readonly lastEventId: string | undefined;
  /** The latest `retry:` value, in ms. */
  readonly retryMs: number | undefined;
}

export interface SseParserOptions {
  /** The id a resumed stream starts from (what was sent as Last-Event-ID). */
  lastEventId?: string | undefined;
  onComment?: (text: string) => void;
}

const LINE_END = /\r\n|\r|\n/g;

export function createSseParser(
  onMessage: (message: SseMessage) => void,
  options: SseParserOptions = {},
): SseParser {
  let pending = '';
  let skipLeadingLf = false;
  let started = false;
  let data = '';
  let hasData = false;
  let eventType = '';
  let lastEventId = options.lastEventId ?? '';
  let retryMs: number | undefined;

  function dispatch(): void {
    if (!hasData) {
      eventType = '';
      return;
    }
    const message: SseMessage = {
      id: lastEventId === '' ? undefined : lastEventId,
      event: eventType === '' ? 'message' : eventType,
      data,
    };
    data = '';
    hasData = false;
    eventType = '';
    onMessage(message);
  }

  function line(text: string): void {
    if (text === '') {
      dispatch();
      return;
    }
    if (text.startsWith(':')) {
      options.onComment?.(text.slice(1).replace(/^ /, ''));
      return;
    }
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        eventType = value;
        break;
      case 'data':
        data = hasData ? `${data}\n${value}` : value;
        hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) retryMs = Number(value);
        break;
      default:
        break;
    }
  }

  return {
    push(chunk) {
      let text = chunk;
      if (skipLeadingLf && text.length > 0) {
        if (text.startsWith('\n')) text = text.slice(1);
        skipLeadingLf = false;
      }
      if (!started && text.length > 0) {
        started = true;
        if (text.startsWith('\uFEFF')) text = text.slice(1);
      }
      const buffer = pending + text;
      let start = 0;
      LINE_END.lastIndex = 0;
      for (let match = LINE_END.exec(buffer); match !== null; match = LINE_END.exec(buffer)) {
        const end = match.index;
        const terminator = match[0];
        // A CR at the very end may be the first half of a CRLF whose LF is in the next chunk.
        if (terminator === '\r' && end === buffer.length - 1) skipLeadingLf = true;
        line(buffer.slice(start, end));
        start = end + terminator.length;
      }
      pending = buffer.slice(start);
    },
    end() {
      pending = '';
      data = '';
      hasData = false;
      eventType = '';
    },
    get lastEventId() {
      return lastEventId === '' ? undefined : lastEventId;
    },
    get retryMs() {
      return retryMs;
    },
  };
}
