/**
 * What a launcher's `dlq` command prints of one dead-letter queue: how many letters, and each
 * one's message id, when and after how many attempts it died, why, and the start of its body.
 */

/** A dead letter as the report shows it (the fields of @dslab/messaging's DeadLetter it reads). */
export interface ReportedDeadLetter {
  readonly messageId: string;
  readonly deadAt?: string | undefined;
  readonly attempts: number;
  readonly reason: string;
  readonly content: Buffer;
}

/** A dead letter's body on one line, shortened to `max` characters. */
function excerpt(content: Buffer, max = 200): string {
  const text = content.toString('utf8').replace(/\s+/g, ' ');
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The report of the dead-letter queue `dlq` (its `letters` read with `limit`: more may wait). */
export function deadLetterQueueReport(
  dlq: string,
  letters: readonly ReportedDeadLetter[],
  limit: number,
): string {
  if (letters.length === 0) return `${dlq}: empty`;
  return [
    `${dlq}: ${letters.length}${letters.length >= limit ? ` (first ${limit}; --limit shows more)` : ''}`,
    ...letters.map(
      (letter) =>
        `  ${letter.messageId}  ${letter.deadAt ?? '?'}  after ${letter.attempts} attempt(s): ${letter.reason}\n` +
        `    ${excerpt(letter.content)}`,
    ),
  ].join('\n');
}
