export { ConfigError, env, loadConfigOrExit, parseConfig } from './config.js';
export type { ConfigOf, ConfigSchema, Field, LoadedConfig } from './config.js';
