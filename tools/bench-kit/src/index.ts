/**
 * @dslab/bench-kit: the machinery of the dslab benchmarks (`npm run bench:*`) and of
 * tools/loadgen. See README.md.
 */
export type { AutocannonRequest, AutocannonRequestParams } from 'autocannon';
export { helloWorldSource, startHelloWorld, type HelloWorldServer } from './baselines.js';
export {
  benchMain,
  runAndSave,
  saveBenchReport,
  type Bench,
  type BenchLog,
  type BenchReport,
} from './bench.js';
export { renderSvg, svgToPng, writeCharts, type Chart, type ChartFile } from './charts.js';
export {
  BASE_OPTIONS,
  COMMON_OPTIONS,
  folder,
  fraction,
  latencyRange,
  LOG_LEVELS,
  logLevel,
  nonNegativeInteger,
  nonNegativeNumber,
  parseCommandLine,
  paymentSimulatorOptions,
  positiveInteger,
  positiveIntegerList,
  positiveNumber,
  switchOption,
  valueOption,
  type BaseBenchOptions,
  type BenchLogLevel,
  type CommandLineOption,
  type CommandLineOptions,
  type CommonBenchOptions,
  type PaymentSimulatorSettings,
} from './command-line.js';
export {
  DEVELOPMENT_ENGINE_URLS,
  engineUrls,
  postgresAndRabbitmq,
  rabbitmqVersion,
  withoutCredentials,
  type EngineUrls,
  type EngineVariable,
} from './engines.js';
export { syntheticLoadResult, syntheticMachineInfo } from './fixtures.js';
export { formatMiB, formatMs, formatNumber, formatRatio, markdownTable, textTable } from './format.js';
export { runAtConcurrency, runAutocannon, runClosedLoop, type LoadResult } from './load.js';
export {
  cpuBetween,
  cpuSnapshot,
  parseMachineCpu,
  parseProcessTimes,
  waitForQuietMachine,
  type CpuSnapshot,
} from './machine.js';
export {
  describeMachine,
  machineInfo,
  outputDirectory,
  REPOSITORY_ROOT,
  saveReport,
  type MachineInfo,
} from './output.js';
export {
  clientConnectionPorts,
  countWarnings,
  environmentWithout,
  parseProcNetTcp,
  parseProcStatCpu,
  parseVmRss,
  readCpuSeconds,
  readRssBytes,
  sampleWhile,
  startNodeService,
  startSampler,
  type BenchProcess,
  type ProcessUsage,
  type SamplerReport,
  type TcpRow,
} from './processes.js';
export {
  median,
  percentile,
  ratio,
  round,
  Samples,
  summarize,
  summarizeAt,
  type LatencySummary,
  type Summary,
} from './stats.js';
