/**
 * Pure POP3 line checks (RFC 1939 section 3, RFC 2449 and RFC 2595 section 4).
 * stunnel compares prefixes case-insensitively; so does this.
 */

/** Whether a server response line is positive: `+OK`, alone or followed by a space and text. */
export function isOk(line: string): boolean {
  return /^\+OK(?: |$)/i.test(line);
}

/** The client command of a line (its first word, upper-cased), e.g. `STLS` or `CAPA`. */
export function commandOf(line: string): string {
  const space = line.indexOf(' ');
  return (space === -1 ? line : line.slice(0, space)).toUpperCase();
}
