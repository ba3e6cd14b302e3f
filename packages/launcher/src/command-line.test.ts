import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  countOption,
  DEFAULT_DLQ_LIMIT,
  DLQ_FLAGS,
  dlqFlags,
  MAX_DLQ_LIMIT,
  parseLauncherArgs,
  refuseDlqFlags,
} from './command-line.js';
import { deadLetterQueueReport } from './dead-letters.js';

const USAGE = 'usage: demo [--workers N]\ndemo dlq [--replay] [--limit N]';
const FLAGS = { workers: { type: 'string' }, ...DLQ_FLAGS } as const;

describe('a launcher’s command line', () => {
  test('flags in both forms and one known command are read; --help answers the usage', () => {
    const parsed = parseLauncherArgs(['--workers=3', 'dlq', '--limit', '5'], FLAGS, USAGE, ['dlq']);
    assert.deepEqual(JSON.parse(JSON.stringify(parsed)), {
      kind: 'args',
      values: { workers: '3', limit: '5', replay: false, help: false },
      command: 'dlq',
    });
    assert.deepEqual(JSON.parse(JSON.stringify(parseLauncherArgs([], FLAGS, USAGE, ['dlq']))), {
      kind: 'args',
      values: { replay: false, help: false },
    });
    assert.deepEqual(parseLauncherArgs(['-h'], FLAGS, USAGE, ['dlq']), { kind: 'help', text: USAGE });
  });

  test('an unknown flag, a missing value, an unknown command or a second positional is a usage error', () => {
    const message = (argv: string[], commands: string[] = ['dlq']) => {
      const parsed = parseLauncherArgs(argv, FLAGS, USAGE, commands);
      if (parsed.kind !== 'usage-error') assert.fail(`not a usage error: ${JSON.stringify(parsed)}`);
      return parsed.message;
    };
    assert.match(message(['--worker', '2']), /--worker/);
    assert.match(message(['--workers']), /--workers/);
    assert.match(message(['start']), /^unknown command "start" \(the only command is dlq\)$/);
    assert.match(message(['dlq', 'now']), /^unexpected argument "now"$/);
    assert.match(message(['now'], []), /^unexpected argument "now"$/);
  });

  test('a count is an integer in its range; a bad one is reported and the fallback answered', () => {
    const problems: string[] = [];
    assert.equal(countOption('workers', undefined, 1, 16, problems), 1);
    assert.equal(countOption('workers', '16', 1, 16, problems), 16);
    assert.deepEqual(problems, []);
    for (const text of ['0', '17', '2.5', '-1', 'x', ''])
      assert.equal(countOption('workers', text, 1, 16, problems), 1, text);
    assert.equal(problems.length, 6);
    assert.equal(problems[0], '--workers must be an integer from 1 to 16, got "0"');
  });

  test('dlq takes --replay and --limit, refuses the flags of starting; a start refuses --replay and --limit', () => {
    const problems: string[] = [];
    assert.deepEqual(dlqFlags({ replay: false }, ['workers'], problems), {
      replay: false,
      limit: DEFAULT_DLQ_LIMIT,
    });
    assert.deepEqual(dlqFlags({ replay: true, limit: '7' }, ['workers'], problems), {
      replay: true,
      limit: 7,
    });
    assert.deepEqual(problems, []);
    dlqFlags({ replay: false, limit: String(MAX_DLQ_LIMIT + 1), workers: '2' }, ['workers'], problems);
    assert.deepEqual(problems, [
      '--workers is for starting, not for dlq',
      `--limit must be an integer from 1 to ${MAX_DLQ_LIMIT}, got "${MAX_DLQ_LIMIT + 1}"`,
    ]);

    const refused: string[] = [];
    refuseDlqFlags({ replay: false }, 'npm run demo', refused);
    assert.deepEqual(refused, []);
    refuseDlqFlags({ replay: true, limit: '3' }, 'npm run demo', refused);
    assert.deepEqual(refused, [
      '--replay goes with the dlq command: npm run demo -- dlq --replay',
      '--limit goes with the dlq command: npm run demo -- dlq --limit N',
    ]);
  });
});

describe('the dlq report of one dead-letter queue', () => {
  const letter = {
    messageId: 'm-1',
    deadAt: '2025-01-01T00:00:00.000Z',
    attempts: 3,
    reason: 'boom',
    content: Buffer.from(`{"a":\n  "${'x'.repeat(300)}"}`),
  };

  test('each letter on two lines: id, when, attempts and reason, then its body on one line, cut at 200 characters', () => {
    const report = deadLetterQueueReport('q.dlq', [letter], 10);
    const [head, first, body] = report.split('\n');
    assert.equal(head, 'q.dlq: 1');
    assert.equal(first, '  m-1  2025-01-01T00:00:00.000Z  after 3 attempt(s): boom');
    assert.equal(body, `    {"a": "${'x'.repeat(193)}…`);
  });

  test('an empty queue says so; a full page says --limit shows more; an unknown time is ?', () => {
    assert.equal(deadLetterQueueReport('q.dlq', [], 10), 'q.dlq: empty');
    assert.match(
      deadLetterQueueReport('q.dlq', [letter, letter], 2),
      /^q\.dlq: 2 \(first 2; --limit shows more\)/,
    );
    assert.match(
      deadLetterQueueReport('q.dlq', [{ ...letter, deadAt: undefined }], 10),
      /m-1 {2}\? {2}after/,
    );
  });
});
