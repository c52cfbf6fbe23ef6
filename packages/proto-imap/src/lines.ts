/**
 * Pure IMAP line helpers (RFC 3501 section 2.2, RFC 2595 section 3.1).
 * stunnel compares prefixes case-insensitively; so does this.
 */

/** Whether a greeting is `* OK …` (RFC 3501 section 7.1.1). */
export function isOkGreeting(line: string): boolean {
  return /^\* OK/i.test(line);
}

/** Whether a server line is untagged (`* …`). */
export function isUntagged(line: string): boolean {
  return line.startsWith('*');
}

/** Whether a tagged response line is `<tag> OK …`. */
export function isTaggedOk(line: string, tag: string): boolean {
  return line.slice(0, tag.length + 3).toUpperCase() === `${tag} OK`.toUpperCase();
}

/** Splits a client command line at its first space into tag and rest; `undefined` when there is no space. */
export function splitTag(line: string): { readonly tag: string; readonly rest: string } | undefined {
  const space = line.indexOf(' ');
  if (space === -1) return undefined;
  return { tag: line.slice(0, space), rest: line.slice(space + 1) };
}

/**
 * Spoils a `CAPABILITY` response code inside the greeting (it becomes
 * `KAPABILITY`), as stunnel does, so the client asks for capabilities
 * itself and gets the list with STARTTLS added.
 */
export function disableGreetingCapability(line: string): string {
  let at = line.indexOf('CAPABILITY');
  if (at === -1) at = line.indexOf('capability');
  return at === -1 ? line : `${line.slice(0, at)}K${line.slice(at + 1)}`;
}
