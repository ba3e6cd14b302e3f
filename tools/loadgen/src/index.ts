/**
 * @dslab/loadgen: the checkout's load generator (`npm run bench:checkout`), fault scheduler,
 * auditor and comparative report (`npm run report:checkout`). See README.md.
 */
export * from './results.js';
export { createRecorder, decodeRecorder, type LatencyRecorder } from './histogram.js';
export {
  runClosed,
  runOpen,
  type Operation,
  type OperationResult,
  type PhaseCore,
  type ProgressSnapshot,
} from './models.js';
export { kneeOf, runStepped } from './knee.js';
export { createProgressReporter, renderProgress } from './progress.js';
export { parseFault, parseLatency, startFaultScheduler, type FaultSpec } from './faults.js';
export { startSystem, type SystemOptions, type SystemUnderTest } from './topology.js';
export { startResourceSampler } from './sampler.js';
export { createOrderDriver, orderMix } from './drivers.js';
export { auditCheckout } from './auditor.js';
export { parseBenchOptions, type CheckoutBenchOptions } from './options.js';
export { runCheckoutBench } from './run.js';
