/**
 * `node --import tsx systems/checkout/async/src/dlq-main.ts [--replay] [--limit N]`: the dead
 * letters of the checkout's five queues (the same as `npm run checkout -- dlq`), read from
 * AMQP_URL under QUEUE_PREFIX (default checkout). Exit 0 done, 1 broker unreachable, 2 bad usage.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_QUEUE_PREFIX } from './config.js';
import { DEFAULT_DLQ_LIMIT, MAX_DLQ_LIMIT, runDeadLetterCommand } from './dlq.js';

const USAGE = `usage: dlq-main.ts [--replay] [--limit N]   (AMQP_URL and QUEUE_PREFIX from the environment)\n`;

let values;
try {
  ({ values } = parseArgs({
    options: {
      replay: { type: 'boolean', default: false },
      limit: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  process.exit(2);
}
if (values.help === true) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const limit = values.limit === undefined ? DEFAULT_DLQ_LIMIT : Number(values.limit);
if (!Number.isInteger(limit) || limit < 1 || limit > MAX_DLQ_LIMIT) {
  process.stderr.write(`--limit must be an integer from 1 to ${MAX_DLQ_LIMIT}\n${USAGE}`);
  process.exit(2);
}
const amqpUrl = process.env.AMQP_URL;
if (amqpUrl === undefined || amqpUrl === '') {
  process.stderr.write('AMQP_URL is required (e.g. amqp://guest:guest@127.0.0.1:5672)\n');
  process.exit(2);
}
process.exit(
  await runDeadLetterCommand(
    amqpUrl,
    { queuePrefix: process.env.QUEUE_PREFIX || DEFAULT_QUEUE_PREFIX, limit, replay: values.replay },
    (text) => process.stdout.write(text),
    (text) => process.stderr.write(text),
  ),
);
