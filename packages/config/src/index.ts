export { ConfigError, env, loadConfigOrExit, parseConfig } from './config.js';
export type { ConfigOf, ConfigOptions, ConfigSchema, Field, LoadedConfig } from './config.js';
