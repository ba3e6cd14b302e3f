export { launchProcesses, type Launch, type LaunchOptions, type ProcessExit } from './launch.js';
export { type LaunchedProcess, type ProcessToLaunch } from './child.js';
export { passThroughEnvironment, prefixLine, redactPassword } from './console.js';
export {
  countOption,
  DEFAULT_DLQ_LIMIT,
  DLQ_FLAGS,
  dlqFlags,
  exitOnHelpOrUsageError,
  MAX_DLQ_LIMIT,
  parseLauncherArgs,
  refuseDlqFlags,
  type DlqFlags,
  type FlagValues,
  type HelpOrUsageError,
  type LauncherArgs,
} from './command-line.js';
export { deadLetterQueueReport, type ReportedDeadLetter } from './dead-letters.js';
