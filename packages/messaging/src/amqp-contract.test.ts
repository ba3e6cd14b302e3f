import { TEST_AMQP_URL, uniqueName } from '@dslab/testing';
import { createAmqpBus } from './amqp-bus.js';
import { runBusContract } from './bus-contract.js';
import { collectingLogger } from './log-collector.js';

runBusContract('AMQP (RabbitMQ)', async () => {
  const logger = collectingLogger();
  const bus = await createAmqpBus({ url: TEST_AMQP_URL, connectionName: uniqueName('contract'), logger });
  return { bus, lines: logger.lines, dispose: () => bus.close() };
});
