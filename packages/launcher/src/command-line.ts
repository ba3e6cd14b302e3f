/** What a launcher's command-line parser answers besides the commands it runs. */
export type HelpOrUsageError =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'usage-error'; readonly message: string };

/**
 * Ends the launcher when `parsed` asks for help (the usage on stdout, exit 0) or is a bad command
 * line (`<launcher>: <what is wrong>` and the usage on stderr, exit 2); otherwise returns it.
 */
export function exitOnHelpOrUsageError<Parsed extends { readonly kind: string }>(
  parsed: Parsed,
  launcher: string,
  usage: string,
): Exclude<Parsed, HelpOrUsageError> {
  const answer = parsed as Parsed | HelpOrUsageError;
  if (answer.kind === 'help' && 'text' in answer) {
    process.stdout.write(`${answer.text}\n`);
    process.exit(0);
  }
  if (answer.kind === 'usage-error' && 'message' in answer) {
    process.stderr.write(`${launcher}: ${answer.message}\n\n${usage}\n`);
    process.exit(2);
  }
  return parsed as Exclude<Parsed, HelpOrUsageError>;
}
