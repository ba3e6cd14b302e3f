/**
 * The launcher's one read of its environment (DESIGN §3: process.env is read in one place):
 * the command line is parsed against it, and the services inherit it (start-options.ts decides
 * which settings pass through and which the launcher sets itself).
 */
export const launcherEnvironment: Readonly<Record<string, string | undefined>> = process.env;
