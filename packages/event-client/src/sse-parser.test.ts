import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatSseComment, formatSseEvent } from './sse-format.js';
import { createSseParser, type SseMessage } from './sse-parser.js';

function parse(chunks: string[], lastEventId?: string) {
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  const parser = createSseParser((m) => messages.push(m), {
    lastEventId,
    onComment: (c) => comments.push(c),
  });
  for (const chunk of chunks) parser.push(chunk);
  return { messages, comments, parser };
}

/** Every way of cutting `text` in two, plus one character at a time. */
function splits(text: string): string[][] {
  const out: string[][] = [[text], Array.from(text)];
  for (let i = 1; i < text.length; i++) out.push([text.slice(0, i), text.slice(i)]);
  return out;
}

describe('SSE parser', () => {
  test('when an event has id, event and data lines, then it is dispatched at the blank line', () => {
    const { messages, parser } = parse(['id: 7\nevent: AGENDAMENTO_CRIADO\ndata: {"a":1}\n\n']);
    assert.deepEqual(messages, [{ id: '7', event: 'AGENDAMENTO_CRIADO', data: '{"a":1}' }]);
    assert.equal(parser.lastEventId, '7');
  });

  test('when data spans several lines, then they are joined with LF', () => {
    const { messages } = parse(['data: first\ndata:second\ndata:  third\ndata\n\n']);
    assert.deepEqual(messages, [{ id: undefined, event: 'message', data: 'first\nsecond\n third\n' }]);
  });

  test('when lines end in CRLF or a lone CR, then they parse like LF', () => {
    const expected = [
      { id: '1', event: 'x', data: 'a\nb' },
      { id: '2', event: 'message', data: 'c' },
    ];
    assert.deepEqual(
      parse(['id: 1\r\nevent: x\r\ndata: a\r\ndata: b\r\n\r\nid: 2\r\ndata: c\r\n\r\n']).messages,
      expected,
    );
    assert.deepEqual(parse(['id: 1\revent: x\rdata: a\rdata: b\r\rid: 2\rdata: c\r\r']).messages, expected);
    assert.deepEqual(
      parse(['id: 1\revent: x\ndata: a\r\ndata: b\n\rid: 2\ndata: c\r\n\n']).messages,
      expected,
    );
  });

  test('when the stream is cut into chunks anywhere (also inside a CRLF), then the events are the same', () => {
    const wire =
      ': ping\r\n\r\nid: 41\r\nevent: AGENDAMENTO_CRIADO\r\ndata: {"x":"é ☃"}\r\ndata: 2\r\n\r\n' +
      'id: 42\revent: AGENDAMENTO_CANCELADO\rdata: y\r\r';
    const expected = [
      { id: '41', event: 'AGENDAMENTO_CRIADO', data: '{"x":"é ☃"}\n2' },
      { id: '42', event: 'AGENDAMENTO_CANCELADO', data: 'y' },
    ];
    for (const chunks of splits(wire)) {
      const { messages, comments } = parse(chunks);
      assert.deepEqual(messages, expected, JSON.stringify(chunks));
      assert.deepEqual(comments, ['ping']);
    }
  });

  test('when a multi-byte character is split between byte chunks, then a streaming decoder keeps it whole', () => {
    const bytes = new TextEncoder().encode('data: olá ☃ 🔭\n\n');
    for (let cut = 1; cut < bytes.length; cut++) {
      const decoder = new TextDecoder();
      const messages: SseMessage[] = [];
      const parser = createSseParser((m) => messages.push(m));
      parser.push(decoder.decode(bytes.slice(0, cut), { stream: true }));
      parser.push(decoder.decode(bytes.slice(cut), { stream: true }));
      parser.push(decoder.decode());
      assert.deepEqual(
        messages.map((m) => m.data),
        ['olá ☃ 🔭'],
      );
    }
  });

  test('when lines are comments, then they are reported and dispatch nothing', () => {
    const { messages, comments } = parse([': ping\n\n:\n\n:no space\ndata: x\n\n']);
    assert.deepEqual(comments, ['ping', '', 'no space']);
    assert.deepEqual(
      messages.map((m) => m.data),
      ['x'],
    );
  });

  test('when an event has no data, then it is not dispatched, but its id still counts', () => {
    const { messages, parser } = parse(['id: 5\nevent: x\n\ndata: y\n\n']);
    assert.deepEqual(messages, [{ id: '5', event: 'message', data: 'y' }]);
    assert.equal(parser.lastEventId, '5');
  });

  test('when a later event carries no id, then it reports the last id in effect; an empty id clears it', () => {
    const { messages } = parse(['id: 3\ndata: a\n\ndata: b\n\nid\ndata: c\n\n'], '1');
    assert.deepEqual(
      messages.map((m) => m.id),
      ['3', '3', undefined],
    );
    assert.equal(parse(['data: z\n\n'], '9').messages[0]?.id, '9');
  });

  test('when fields are odd, then the spec rules apply', () => {
    const { messages, parser } = parse([
      '\uFEFFdata:no-space\nunknown: field\nretry: 1500\nretry: 1x\nid: bad\0id\nDATA: ignored\n\n',
    ]);
    assert.deepEqual(messages, [{ id: undefined, event: 'message', data: 'no-space' }]);
    assert.equal(parser.retryMs, 1500);
    assert.equal(parser.lastEventId, undefined);
  });

  test('when the stream ends in the middle of an event, then that event is discarded', () => {
    const { messages, parser } = parse(['data: complete\n\ndata: cut off']);
    parser.end();
    parser.push('\n\n');
    assert.deepEqual(
      messages.map((m) => m.data),
      ['complete'],
    );
  });

  test('when the formatter writes events and comments, then the parser reads them back', () => {
    const wire =
      formatSseComment('ping') +
      formatSseEvent({ id: 10, event: 'AGENDAMENTO_CRIADO', data: 'line 1\nline 2\r\nline 3' }) +
      formatSseEvent({ data: '{"ok":true}' });
    assert.equal(
      formatSseEvent({ id: 10, event: 'E', data: 'a\nb' }),
      'id: 10\nevent: E\ndata: a\ndata: b\n\n',
    );
    assert.deepEqual(parse([wire]).messages, [
      { id: '10', event: 'AGENDAMENTO_CRIADO', data: 'line 1\nline 2\nline 3' },
      { id: '10', event: 'message', data: '{"ok":true}' },
    ]);
    assert.throws(() => formatSseEvent({ event: 'a\nb', data: '' }), RangeError);
    assert.throws(() => formatSseEvent({ id: '1\n2', data: '' }), RangeError);
  });
});
