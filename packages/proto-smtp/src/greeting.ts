/**
 * Pure rewrite of the upstream's first greeting line for server mode, as
 * stunnel does: `220 mx.example ESMTP Postfix` becomes
 * `220 mx.example stunnel for ESMTP Postfix` (or `220 mx.example stunnel`
 * when the server gave only its name). The domain is reused in the EHLO reply.
 */
export function rewriteGreeting(line: string): { readonly line: string; readonly domain: string } {
  const code = line.slice(0, 3);
  const separator = line.length > 3 ? line.charAt(3) : ' ';
  const rest = line.slice(4);
  const space = rest.indexOf(' ');
  const domain = space === -1 ? rest : rest.slice(0, space);
  const name = domain === '' ? 'localhost' : domain;
  const text = space === -1 ? `${name} stunnel` : `${name} stunnel for ${rest.slice(space + 1)}`;
  return { line: `${code}${separator}${text}`, domain: name };
}
