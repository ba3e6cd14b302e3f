/**
 * The KV launcher's one read of its environment (DESIGN §3: process.env is read in one place):
 * the plan is checked against it with the services' own config schemas, and the services inherit
 * it (start-options.ts decides which settings pass through and which the launcher sets itself).
 */
export const launcherEnvironment: Readonly<Record<string, string | undefined>> = process.env;
