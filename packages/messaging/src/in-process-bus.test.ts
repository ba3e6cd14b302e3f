import { runBusContract } from './bus-contract.js';
import { createInProcessBus } from './in-process-bus.js';
import { collectingLogger } from './log-collector.js';

runBusContract('in-process', async () => {
  const logger = collectingLogger();
  const bus = createInProcessBus({ logger });
  return { bus, lines: logger.lines, dispose: () => bus.close() };
});
