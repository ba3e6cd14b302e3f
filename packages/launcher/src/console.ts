/**
 * What a launcher prints about its processes, apart from the processes' own lines: the name
 * column in front of every line, and engine URLs without their passwords.
 */

/** One line of a process's output as a launcher prints it: `kv-api         | <line>`. */
export function prefixLine(name: string, line: string, width: number): string {
  return `${name.padEnd(width)} | ${line}`;
}

/** postgres://user:secret@host/db → postgres://user:***@host/db (launchers print URLs on the console). */
export function redactPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

/**
 * A child's environment from the launcher's own: every set value except `controlled`, the keys the
 * launcher decides itself (an inherited HTTP_PORT would put every child on one port). The caller
 * then adds its own values for those keys.
 */
export function passThroughEnvironment(
  inherited: Readonly<Record<string, string | undefined>>,
  controlled: ReadonlySet<string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(inherited)) {
    if (value !== undefined && !controlled.has(key)) env[key] = value;
  }
  return env;
}
