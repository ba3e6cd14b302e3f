/**
 * What the launchers' command lines share (`npm run kv`, `npm run checkout`): strict flags with
 * --help, at most one command, counts checked against a range, and the `dlq [--replay]
 * [--limit N]` command that lists the dead letters of the launched system's queues.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The flags a parseArgs call reads. */
type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

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

const HELP_FLAG = { help: { type: 'boolean', short: 'h', default: false } } as const;

/** The flags of the `dlq` command, to spread into a launcher's flags. */
export const DLQ_FLAGS = {
  replay: { type: 'boolean', default: false },
  limit: { type: 'string' },
} as const;

/** The values of a launcher's flags `O` (and --help) as parseArgs reads them. */
export type FlagValues<O extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{
    args: string[];
    options: O & typeof HELP_FLAG;
    strict: true;
    allowPositionals: true;
  }>
>['values'];

/** A command line that is neither --help nor bad: the flags' values and the command, if one was given. */
export interface LauncherArgs<O extends ParseArgsOptionsConfig> {
  readonly kind: 'args';
  readonly values: FlagValues<O>;
  readonly command: string | undefined;
}

/**
 * Reads argv (without node and the script): the flags `flags` (strictly: an unknown flag or a
 * missing value is a usage error) and --help/-h (answered with `usage`), and at most one
 * positional, which must be one of `commands` (none: no positional at all).
 */
export function parseLauncherArgs<const O extends ParseArgsOptionsConfig>(
  argv: readonly string[],
  flags: O,
  usage: string,
  commands: readonly string[],
): LauncherArgs<O> | HelpOrUsageError {
  let values: FlagValues<O>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: { ...flags, ...HELP_FLAG },
      strict: true,
      allowPositionals: true,
    }));
  } catch (error) {
    return { kind: 'usage-error', message: error instanceof Error ? error.message : String(error) };
  }
  if ((values as { readonly help?: boolean }).help === true) return { kind: 'help', text: usage };
  const [command, ...rest] = positionals;
  if (rest.length > 0) return { kind: 'usage-error', message: `unexpected argument "${rest.join(' ')}"` };
  if (command !== undefined && !commands.includes(command))
    return {
      kind: 'usage-error',
      message:
        commands.length === 0
          ? `unexpected argument "${command}"`
          : `unknown command "${command}" (${commands.length === 1 ? 'the only command is' : 'the commands are'} ${commands.join(', ')})`,
    };
  return { kind: 'args', values, command };
}

/**
 * The value of `--<flag>`, an integer from 1 to `max`: `fallback` when absent; otherwise a problem
 * is added to `problems` (and `fallback` answered, so the parser can report every problem at once).
 */
export function countOption(
  flag: string,
  text: string | undefined,
  fallback: number,
  max: number,
  problems: string[],
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (/^\d+$/.test(text) && value >= 1 && value <= max) return value;
  problems.push(`--${flag} must be an integer from 1 to ${max}, got "${text}"`);
  return fallback;
}

/** Dead letters `dlq` reads per queue: without --limit, and at most. */
export const DEFAULT_DLQ_LIMIT = 100;
export const MAX_DLQ_LIMIT = 10_000;

/** What `dlq` does: list (and with `replay`, move back) at most `limit` dead letters per queue. */
export interface DlqFlags {
  readonly replay: boolean;
  readonly limit: number;
}

/**
 * The `dlq` command's flags, from values that include DLQ_FLAGS. Any of `startFlags` (the flags
 * of starting) that was given is a problem added to `problems`, and so is a bad --limit.
 */
export function dlqFlags(
  values: { readonly replay: boolean; readonly limit?: string | undefined } & Readonly<
    Record<string, unknown>
  >,
  startFlags: readonly string[],
  problems: string[],
): DlqFlags {
  for (const flag of startFlags)
    if (values[flag] !== undefined) problems.push(`--${flag} is for starting, not for dlq`);
  return {
    replay: values.replay,
    limit: countOption('limit', values.limit, DEFAULT_DLQ_LIMIT, MAX_DLQ_LIMIT, problems),
  };
}

/**
 * When the command is not `dlq`: --replay and --limit are problems added to `problems`, each
 * saying how `launcher` (`npm run kv`) takes it.
 */
export function refuseDlqFlags(
  values: { readonly replay: boolean; readonly limit?: string | undefined },
  launcher: string,
  problems: string[],
): void {
  if (values.replay) problems.push(`--replay goes with the dlq command: ${launcher} -- dlq --replay`);
  if (values.limit !== undefined)
    problems.push(`--limit goes with the dlq command: ${launcher} -- dlq --limit N`);
}
