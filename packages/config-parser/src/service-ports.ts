/**
 * TCP service names for ports. stunnel resolves ports with getaddrinfo, so `connect = imaps` works through
 * /etc/services. The parser is pure, so it carries a built-in table of common names (taken from Debian's
 * /etc/services); `loadConfig` adds the host's /etc/services on top.
 */
const builtin: ReadonlyArray<readonly [string, number]> = [
  ['echo', 7],
  ['discard', 9],
  ['daytime', 13],
  ['chargen', 19],
  ['ftp', 21],
  ['ssh', 22],
  ['telnet', 23],
  ['smtp', 25],
  ['mail', 25],
  ['time', 37],
  ['whois', 43],
  ['domain', 53],
  ['gopher', 70],
  ['finger', 79],
  ['http', 80],
  ['www', 80],
  ['kerberos', 88],
  ['pop3', 110],
  ['pop-3', 110],
  ['sunrpc', 111],
  ['auth', 113],
  ['ident', 113],
  ['nntp', 119],
  ['netbios-ssn', 139],
  ['imap2', 143],
  ['imap', 143],
  ['ldap', 389],
  ['https', 443],
  ['microsoft-ds', 445],
  ['submissions', 465],
  ['ssmtp', 465],
  ['smtps', 465],
  ['exec', 512],
  ['login', 513],
  ['shell', 514],
  ['printer', 515],
  ['nntps', 563],
  ['snntp', 563],
  ['submission', 587],
  ['ipp', 631],
  ['ldaps', 636],
  ['domain-s', 853],
  ['rsync', 873],
  ['ftps', 990],
  ['telnets', 992],
  ['imaps', 993],
  ['pop3s', 995],
  ['socks', 1080],
  ['openvpn', 1194],
  ['ms-sql-s', 1433],
  ['nfs', 2049],
  ['cvspserver', 2401],
  ['mysql', 3306],
  ['ms-wbt-server', 3389],
  ['svn', 3690],
  ['sieve', 4190],
  ['munin', 4949],
  ['sip', 5060],
  ['xmpp-client', 5222],
  ['xmpp-server', 5269],
  ['postgresql', 5432],
  ['postgres', 5432],
  ['amqps', 5671],
  ['amqp', 5672],
  ['x11', 6000],
  ['redis', 6379],
  ['ircd', 6667],
  ['ircs-u', 6697],
  ['http-alt', 8080],
  ['webcache', 8080],
  ['git', 9418],
];

/** The built-in table of TCP service names (name → port). */
export const defaultServicePorts: ReadonlyMap<string, number> = new Map(builtin);

/**
 * Read the TCP entries of an /etc/services file (`name port/proto [aliases...] [# comment]`) into a name → port map.
 * Malformed lines are skipped.
 */
export function parseServicesFile(text: string): Map<string, number> {
  const ports = new Map<string, number>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/#.*/, '').trim();
    const fields = line.split(/\s+/);
    const match = /^(\d{1,5})\/tcp$/.exec(fields[1] ?? '');
    if (match === null || fields[0] === undefined) continue;
    const port = Number(match[1]);
    if (port > 65535) continue;
    for (const name of [fields[0], ...fields.slice(2)]) if (!ports.has(name)) ports.set(name, port);
  }
  return ports;
}
