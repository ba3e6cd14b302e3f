/**
 * `node --import tsx systems/checkout/async/src/dlq-main.ts [--replay] [--limit N]`: the dead
 * letters of the checkout's five queues (the same as `npm run checkout -- dlq`), read from
 * AMQP_URL under QUEUE_PREFIX (default checkout). Exit 0 done, 1 broker unreachable, 2 bad usage.
 */
import { loadConfigOrExit } from '@dslab/config';
import { DLQ_FLAGS, dlqFlags, exitOnHelpOrUsageError, parseLauncherArgs } from '@dslab/launcher';
import { dlqConfigSchema } from './config.js';
import { runDeadLetterCommand } from './dlq.js';

const USAGE = 'usage: dlq-main.ts [--replay] [--limit N]   (AMQP_URL and QUEUE_PREFIX from the environment)';

const parsed = exitOnHelpOrUsageError(
  parseLauncherArgs(process.argv.slice(2), DLQ_FLAGS, USAGE, []),
  'dlq',
  USAGE,
);
const problems: string[] = [];
const options = dlqFlags(parsed.values, [], problems);
if (problems.length > 0) {
  process.stderr.write(`dlq: ${problems.join('\n')}\n\n${USAGE}\n`);
  process.exit(2);
}
// Parsed once here (a missing or bad AMQP_URL is listed and exits non-zero).
const { config } = loadConfigOrExit(dlqConfigSchema, 'dlq');
process.exit(
  await runDeadLetterCommand(
    config.AMQP_URL,
    { ...options, queuePrefix: config.QUEUE_PREFIX },
    (text) => process.stdout.write(text),
    (text) => process.stderr.write(text),
  ),
);
