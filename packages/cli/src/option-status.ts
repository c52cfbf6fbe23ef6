/**
 * The state of every configuration option in this build — the single source
 * of the README's option table and of the refusals `tunnel` reports.
 *
 * - `supported`: behaves as the stunnel manual says.
 * - `replaced`: same intent, another mechanism (the note says which).
 * - `refused`: a configuration that asks for it is rejected with
 *   `file:line: option: reason`. `refuseWhen` narrows the refusal to values
 *   that ask for something (so `libwrap = no` passes where `libwrap = yes`
 *   would be refused); without it any use is refused.
 */
export type OptionState = 'supported' | 'replaced' | 'refused';

export interface OptionStatus {
  readonly state: OptionState;
  /** One line for the README table; for refused options, the reason the user reads. */
  readonly note: string;
  /** For refused options: which parsed values are refused (default: any value that was written). */
  readonly refuseWhen?: (value: unknown) => boolean;
}

const supported = (note: string): OptionStatus => ({ state: 'supported', note });
const replaced = (note: string): OptionStatus => ({ state: 'replaced', note });
const refused = (note: string, refuseWhen?: (value: unknown) => boolean): OptionStatus =>
  refuseWhen === undefined ? { state: 'refused', note } : { state: 'refused', note, refuseWhen };

const nonEmpty = (value: unknown) => Array.isArray(value) && value.length > 0;

const ENGINES = 'OpenSSL engines are not reachable from Node.js TLS (OpenSSL 3 deprecated them); use PEM files';
const PROVIDERS =
  'OpenSSL providers cannot be loaded into Node.js TLS (its OpenSSL is built in; FIPS is reached through `fips`); use PEM files';
const WINDOWS = 'Windows GUI only; has no meaning on Unix';
const RANDOM =
  'OpenSSL 3 seeds its generator from the operating system (getrandom); no seed file or EGD socket is read — a notice is logged';

/** Every option the parser knows, by its canonical name. A test checks this table against the parser's registry. */
export const OPTION_STATUS: Readonly<Record<string, OptionStatus>> = {
  // Global options
  chroot: supported('after every listener is bound; CApath, CRLpath, pid and exec paths are then inside the jail'),
  compression: replaced(
    'modern OpenSSL has no TLS compression: a deflate/zlib stream stage inside TLS, flushed per write; both ends must be tunnel',
  ),
  debug: supported('`[FACILITY.]LEVEL`, globally and per service'),
  EGD: replaced(RANDOM),
  engine: refused(ENGINES),
  engineCtrl: refused(ENGINES, nonEmpty),
  engineDefault: refused(ENGINES),
  fips: supported('`fips = yes` switches OpenSSL to FIPS mode; a clear error where the build has no FIPS provider'),
  foreground: supported(
    '`no` detaches (a new session; the command returns once the background process listens), `yes` also logs to stderr, `quiet` does not',
  ),
  iconActive: refused(WINDOWS),
  iconError: refused(WINDOWS),
  iconIdle: refused(WINDOWS),
  taskbar: refused(WINDOWS),
  log: supported('`append` or `overwrite` for `output`, also on SIGUSR1 reopen'),
  output: supported('log file; `/dev/stdout` works'),
  pid: supported('written once every listener is up, removed at exit; empty means none'),
  RNDbytes: replaced(RANDOM),
  RNDfile: replaced(RANDOM),
  RNDoverwrite: replaced(RANDOM),
  service: supported('the syslog ident'),
  socket: supported(
    '`a:` set before bind, `l:` on each accepted socket, `r:` before connect (setsockopt through @tunnel/os); global lines apply to every service',
  ),
  syslog: supported("through the system's `logger` program to the local syslog, with the facility of `debug`"),
  include: supported('files of the directory in ascending order; loops and unreadable paths are errors'),
  setuid: supported('global: the process user, switched after binding and the pid file; in a service: the owner of its Unix accept socket'),
  setgid: supported(
    'global: the process group, switched after binding, supplementary groups cleared; in a service: the group of its Unix accept socket',
  ),

  // Service-level options
  accept: supported('port, host:port, IPv6 (`:::port`), Unix socket path; several lines (5.68)'),
  CAfile: supported('PEM bundle'),
  CApath: supported('hashed directory as `openssl rehash` writes it'),
  cert: supported('PEM chain; may hold the key first and DH parameters; or a PKCS#12 file without a password (5.68)'),
  checkEmail: supported('several allowed; any match accepts'),
  checkHost: supported('several allowed; any match accepts'),
  checkIP: supported('several allowed; any match accepts'),
  ciphers: supported('OpenSSL cipher list for TLS ≤ 1.2'),
  ciphersuites: supported('TLS 1.3 suites (5.68)'),
  client: supported('client or server mode'),
  config: supported(
    'SSL_CONF commands MinProtocol, MaxProtocol, CipherString, Ciphersuites, Curves/Groups, SignatureAlgorithms, Options; any other is refused at its line',
  ),
  connect: supported('several targets; names resolving to several addresses are all tried'),
  CRLfile: supported('revoked peers rejected; an expired CRL fails verification as in OpenSSL'),
  CRLpath: supported('hashed directory (`XXXXXXXX.r0`)'),
  curves: supported('`curve` (5.28) and `curves` (5.68), colon-separated'),
  logId: supported('`sequential`, `unique`, `thread` (the connection number: connections are async tasks, not threads), `process`'),
  delay: supported('resolve at connect time; engaged automatically when start-up resolution fails'),
  engineId: refused(ENGINES),
  engineNum: refused(ENGINES),
  exec: supported(
    'without connect: a program per connection (server mode after the handshake, plaintext on its stdin/stdout; client mode before TLS, TLS on its stdio); with connect and no accept: started at start-up as the accepted side. env: REMOTE_HOST, REMOTE_PORT, SSL_CLIENT_DN, SSL_CLIENT_I_DN; path inside the chroot jail',
  ),
  execArgs: supported('argv including $0, split on whitespace without quoting; default: the exec path'),
  failover: supported('`rr` (the 5.28 default) or `prio`'),
  ident: supported("RFC 1413 query to the client's identd; the connection is refused unless the user matches exactly"),
  key: supported('defaults to the key in `cert`'),
  libwrap: supported(
    '/etc/hosts.allow and /etc/hosts.deny with the service name as daemon (hosts_access(5); unsupported constructs refuse the connection — see @tunnel/access)',
  ),
  local: supported('source address of upstream connections'),
  sni: supported('client: the name sent (empty sends none); server: `master:pattern` slave services with `*.` patterns'),
  OCSP: supported('HTTP POST to the responder; signature, responder authority, validity and nonce checked'),
  OCSPaia: supported('responder from the certificate’s AIA extension'),
  OCSPflag: supported('every OpenSSL flag name; those OpenSSL itself ignores for responses are documented in @tunnel/verify'),
  OCSPrequire: supported('`no` accepts a peer whose responder gives no answer or says "unknown"; revoked and forged answers still refuse'),
  TIMEOUTocsp: supported('seconds to wait for each OCSP responder (default 10)'),
  OCSPnonce: supported('nonce sent and checked'),
  options: supported('OpenSSL option names without `SSL_OP_`; a leading `-` clears; defaults NO_SSLv2, NO_SSLv3'),
  protocol: supported('smtp, imap, pop3, nntp, pgsql, cifs, socks, connect, proxy, and third-party plugins'),
  protocolAuthentication: supported('connect: basic, ntlm; smtp: plain, login'),
  protocolDomain: supported('NTLM domain for connect'),
  protocolHeader: supported('extra CONNECT request headers (5.68)'),
  protocolHost: supported('connect: the host to reach through the proxy; smtp: the EHLO name'),
  protocolPassword: supported('for protocolAuthentication'),
  protocolUsername: supported('for protocolAuthentication'),
  PSKidentity: supported('client mode: the identity presented; default the first in PSKsecrets; ignored in server mode'),
  PSKsecrets: supported(
    'IDENTITY:KEY lines as stunnel 5.68 reads them (hex keys converted, 16 bytes minimum), TLS 1.2 and 1.3; a server needs no cert',
  ),
  pty: supported(
    'the program runs on a pseudo-terminal (openpty through @tunnel/os), terminal settings left at the defaults as stunnel does',
  ),
  redirect: supported('server mode: a client whose certificate fails verification goes to these targets'),
  renegotiation: supported('`no` refuses TLS ≤ 1.2 renegotiation'),
  reset: supported('close with TCP RST on errors'),
  retry: supported(
    'connect+exec: `yes` starts the program again 1 s after it ended; a number is the delay in ms (newer stunnel), at least 100 ms',
  ),
  requireCert: supported('with verifyChain/verifyPeer, mapped onto the verify levels as stunnel 5.68 does'),
  securityLevel: replaced('appended to the cipher list as `@SECLEVEL=N`'),
  sessionCacheSize: supported('bounded LRU of TLS ≤ 1.2 session IDs per service (@tunnel/sessions); 0 = unlimited, with a warning'),
  sessionCacheTimeout: supported('lifetime of cached sessions (also in Redis) and of tickets'),
  sessiond: replaced(
    "`HOST:PORT` of a Redis server that shares session IDs and ticket keys between tunnel instances; stunnel's UDP sessiond protocol is not spoken",
  ),
  sessionResume: supported('`no`: no session IDs cached, no tickets issued, no session offered in client mode'),
  sslVersion: supported('all, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3; SSLv2 and SSLv3 are refused (broken, and absent from OpenSSL 3)'),
  sslVersionMax: supported('TLSv1 … TLSv1.3 (5.68)'),
  sslVersionMin: supported('TLSv1 … TLSv1.3 (5.68)'),
  stack: replaced('connections are async tasks, not threads, so there is no per-connection stack to size; a notice is logged'),
  ticketKeySecret: supported(
    "with ticketMacSecret: ticket keys derived with HKDF-SHA256, so tunnels with the same secrets resume each other's tickets (not stunnel's)",
  ),
  ticketMacSecret: supported('with ticketKeySecret (see there)'),
  TIMEOUTbusy: supported('default 300 s'),
  TIMEOUTclose: supported('default 60 s'),
  TIMEOUTconnect: supported('default 10 s'),
  TIMEOUTidle: supported('default 43200 s'),
  transparent: supported(
    'Linux: `source` binds the client address (IP_TRANSPARENT, root or CAP_NET_ADMIN), `destination` uses SO_ORIGINAL_DST, `both`; legacy yes/no',
  ),
  verify: supported('levels 0–4 exactly as the manual says; default none'),
  verifyChain: supported('mapped onto the verify levels as stunnel 5.68 does'),
  verifyPeer: supported('mapped onto the verify levels as stunnel 5.68 does'),
  // tunnel extensions
  allowPeer: supported(
    'extension: admit only peers whose verified certificate matches a rule (CN, OU, DNS, URI, IP, email, SPKI); needs verify 2–4',
  ),
  denyPeer: supported('extension: refuse peers whose verified certificate matches a rule; wins over allowPeer'),
  maxConnections: supported(
    'extension: global = whole process, service = that service; excess connections are closed at accept and logged',
  ),
  connectionRate: supported('extension: `N/SECONDS` per source address (token bucket, 10000 addresses remembered per service)'),
  certReload: supported(
    'extension: cert, key, CAfile and CRLfile compared every SECONDS (yes = 5); a change rebuilds the services, a broken file is logged and the old certificate keeps serving',
  ),
  alpn: supported('ALPN list: a server selects in this order (no match: alert 120), a client requests it'),
  connectALPN: supported('server mode: the upstream for a negotiated ALPN protocol, falling back to connect'),
  setEnv: supported("extension (newer stunnel has it): `NAME=VALUE` in the exec program's environment; the connection variables win"),
  CAengine: refused(ENGINES, nonEmpty),
  CAstore: refused('OpenSSL store URIs are not reachable from Node.js TLS (it takes PEM or DER data only); use CAfile or CApath', nonEmpty),
  provider: refused(PROVIDERS, nonEmpty),
  providerParameter: refused(PROVIDERS, nonEmpty),
  workers: supported(
    'extension: N (or `auto` = CPUs) node:cluster workers share the TCP listeners round-robin; the primary owns the pid file, forwards HUP/USR1/USR2, restarts dead workers with back-off; refused with inetd, Unix accept, `socket = a:`, socket activation and `-fd`',
  ),
  metrics: supported(
    'extension: `GET /metrics` (Prometheus text 0.0.4, per service; `worker` label with workers) and `GET /health` (200, 503 while stopping) on [HOST:]PORT, host 127.0.0.1 by default',
  ),
  logFormat: supported(
    'extension: `json` writes one JSON object per line (time, level, service, id, message, code; connection, TLS and failure events with their fields) to every log destination',
  ),
};

/** The reason a written option is refused, or undefined when this build carries it out. */
export function refusalOf(option: string, value: unknown): string | undefined {
  const status = OPTION_STATUS[option];
  if (status?.state !== 'refused') return undefined;
  return status.refuseWhen === undefined || status.refuseWhen(value) ? status.note : undefined;
}
