export { launchProcesses, type Launch, type LaunchOptions, type ProcessExit } from './launch.js';
export { type LaunchedProcess, type ProcessToLaunch } from './child.js';
export { passThroughEnvironment, prefixLine, redactPassword } from './console.js';
export { exitOnHelpOrUsageError, type HelpOrUsageError } from './command-line.js';
