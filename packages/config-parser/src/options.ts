import {
  parseAddress,
  parseChoice,
  parseDebug,
  parseExecArgs,
  parseRetry,
  parseSetEnv,
  parseForeground,
  parseHexSecret,
  parseInteger,
  parseOcspFlag,
  parseOpensslOption,
  parseCertReload,
  parseRate,
  parseProtocolName,
  parseSocketOption,
  parseSslVersion,
  parseTaskList,
  parseTransparent,
  parseVerify,
  parseYesNo,
  InvalidValue,
  quote,
  type ValueContext,
} from './values.js';

/** Where an option may be written. */
export type OptionScope = 'global' | 'service' | 'both';

/** What a value parser is told about where the value was written. */
export interface OptionValueContext extends ValueContext {
  section: 'global' | 'service';
}

/**
 * One stunnel option. `scope`:
 * - 'global': only in the global section.
 * - 'service': in a `[service]` section; written in the global section it is the default for every service
 *   (and, in inetd mode, the value of the single service).
 * - 'both': a global meaning in the global section and a per-service meaning in a service section
 *   (`inherits` says whether the global value is also the services' default).
 */
export interface OptionSpec {
  /** The option name as the manual spells it. */
  readonly name: string;
  /** Other accepted spellings (e.g. the 5.28 `curve` for 5.68's `curves`). Names are case-insensitive anyway. */
  readonly aliases: readonly string[];
  readonly scope: OptionScope;
  /** For scope 'both': whether the global value is also every service's default. */
  readonly inherits: boolean;
  /** The value syntax, as shown by `tunnel -help`. */
  readonly syntax: string;
  readonly repeatable: boolean;
  /** The default the manual states, as text (undefined when there is none). */
  readonly default: string | undefined;
  /** One line of what it does. */
  readonly description: string;
  /**
   * First stunnel version that knows the option: the 5.28 spec, or 5.68 (Debian's stunnel4, our oracle);
   * `>5.68` an option of a stunnel newer than Debian's (5.68 refuses it as unknown);
   * `tunnel` marks an extension of ours that no stunnel knows (stunnel refuses it as an unknown option).
   */
  readonly since: '5.28' | '5.68' | '>5.68' | 'tunnel';
  readonly platform: 'unix' | 'win32' | 'all';
  /** Whether an empty value means something (`pid =`, `sni =`); otherwise an empty value is an error. */
  readonly allowEmpty: boolean;
  /** Turn the text into the typed value; throws InvalidValue. Absent for options handled by the parser itself. */
  readonly parse: ((value: string, context: OptionValueContext) => unknown) | undefined;
}

type SpecInit = Partial<Omit<OptionSpec, 'name' | 'scope' | 'syntax' | 'description'>> &
  Pick<OptionSpec, 'name' | 'scope' | 'syntax' | 'description'>;

function option(init: SpecInit): OptionSpec {
  return {
    aliases: [],
    inherits: false,
    repeatable: false,
    default: undefined,
    since: '5.28',
    platform: 'all',
    allowEmpty: false,
    parse: (value) => value,
    ...init,
  };
}

const yesNo = (value: string): boolean => parseYesNo(value);
const seconds = (value: string): number => parseInteger(value);
const address = (value: string, context: OptionValueContext) => parseAddress(value, context);
const path = (value: string): string => value;

/** An ALPN protocol list (RFC 7301 §3.1: each name 1..255 bytes); at most 16 names, printable ASCII without commas. */
function parseAlpnList(value: string): string[] {
  const names = value.split(',').map((name) => name.trim());
  if (names.length > 16) throw new InvalidValue('at most 16 ALPN protocol names');
  for (const name of names) {
    if (!/^[\x21-\x7e]{1,255}$/.test(name))
      throw new InvalidValue(`invalid ALPN protocol name ${quote(name)} (1-255 printable characters)`);
  }
  return names;
}

/**
 * Every option tunnel knows, in the manual's order (global options, then service-level options), followed by the
 * options stunnel 5.68 added.
 */
export const optionRegistry: readonly OptionSpec[] = [
  // GLOBAL OPTIONS (spec)
  option({
    name: 'chroot',
    scope: 'global',
    syntax: 'DIRECTORY',
    platform: 'unix',
    description: 'directory to chroot the process into',
    parse: path,
  }),
  option({
    name: 'compression',
    scope: 'global',
    syntax: 'deflate | zlib',
    default: 'no compression',
    description: 'compress the tunnelled data (done as a stream transform; OpenSSL 3 has no TLS compression)',
    parse: (value) => parseChoice(value, ['deflate', 'zlib'] as const),
  }),
  option({
    name: 'debug',
    scope: 'both',
    inherits: true,
    syntax: '[FACILITY.]LEVEL',
    default: 'notice (5), facility daemon',
    description: 'log level (0-7 or emerg..debug); a syslog facility only in the global section',
    parse: (value, context) => parseDebug(value, context.section === 'global'),
  }),
  option({
    name: 'EGD',
    scope: 'global',
    syntax: 'EGD_PATH',
    platform: 'unix',
    description: 'Entropy Gathering Daemon socket',
    parse: path,
  }),
  option({
    name: 'engine',
    scope: 'global',
    syntax: 'auto | ENGINE_ID',
    default: 'software-only cryptography',
    description: 'OpenSSL hardware engine to use',
  }),
  option({
    name: 'engineCtrl',
    scope: 'global',
    syntax: 'COMMAND[:PARAMETER]',
    repeatable: true,
    description: 'control command for the current engine (LOAD loads it)',
  }),
  option({
    name: 'engineDefault',
    scope: 'global',
    syntax: 'TASK_LIST',
    description: 'comma-separated OpenSSL tasks delegated to the current engine',
    parse: parseTaskList,
  }),
  option({ name: 'fips', scope: 'global', syntax: 'yes | no', default: 'no', description: 'enter FIPS 140-2 mode', parse: yesNo }),
  option({
    name: 'foreground',
    scope: 'global',
    syntax: 'yes | quiet | no',
    platform: 'unix',
    default: 'background (daemon)',
    description: 'stay in the foreground; yes also logs to stderr',
    parse: parseForeground,
  }),
  option({
    name: 'iconActive',
    scope: 'global',
    syntax: 'ICON_FILE',
    platform: 'win32',
    description: 'GUI icon shown with connections open',
  }),
  option({
    name: 'iconError',
    scope: 'global',
    syntax: 'ICON_FILE',
    platform: 'win32',
    description: 'GUI icon shown without a valid configuration',
  }),
  option({ name: 'iconIdle', scope: 'global', syntax: 'ICON_FILE', platform: 'win32', description: 'GUI icon shown without connections' }),
  option({
    name: 'log',
    scope: 'global',
    syntax: 'append | overwrite',
    default: 'append',
    description: 'whether the output file is appended to or overwritten when opened',
    parse: (value) => parseChoice(value, ['append', 'overwrite'] as const),
  }),
  option({ name: 'output', scope: 'global', syntax: 'FILE', description: 'append log messages to this file', parse: path }),
  option({
    name: 'pid',
    scope: 'global',
    syntax: 'FILE',
    platform: 'unix',
    allowEmpty: true,
    description: 'pid file (empty: none)',
    parse: path,
  }),
  option({
    name: 'RNDbytes',
    scope: 'global',
    syntax: 'BYTES',
    default: '1024',
    description: 'bytes to read from random seed files',
    parse: (value) => parseInteger(value),
  }),
  option({
    name: 'RNDfile',
    scope: 'global',
    syntax: 'FILE',
    default: '/dev/urandom',
    description: 'file with random seed data',
    parse: path,
  }),
  option({
    name: 'RNDoverwrite',
    scope: 'global',
    syntax: 'yes | no',
    default: 'yes',
    description: 'rewrite the seed file with new random data',
    parse: yesNo,
  }),
  option({
    name: 'service',
    scope: 'both',
    syntax: 'SERVICE',
    platform: 'unix',
    default: 'stunnel',
    description: 'service name for syslog and TCP Wrappers',
  }),
  option({
    name: 'socket',
    scope: 'both',
    inherits: true,
    syntax: 'a|l|r:OPTION=VALUE[:VALUE]',
    repeatable: true,
    description: 'set a socket option on the accepting, local or remote socket',
    parse: parseSocketOption,
  }),
  option({
    name: 'syslog',
    scope: 'global',
    syntax: 'yes | no',
    platform: 'unix',
    default: 'yes',
    description: 'log through syslog',
    parse: yesNo,
  }),
  option({ name: 'taskbar', scope: 'global', syntax: 'yes | no', platform: 'win32', default: 'yes', description: 'show the taskbar icon' }),

  // SERVICE-LEVEL OPTIONS (spec)
  option({
    name: 'accept',
    scope: 'service',
    syntax: '[HOST:]PORT | UNIX_PATH',
    repeatable: true,
    description: 'address to listen on (all interfaces when only a port is given)',
    parse: address,
  }),
  option({
    name: 'CApath',
    scope: 'service',
    syntax: 'DIRECTORY',
    description: 'directory of hashed CA certificates for verification',
    parse: path,
  }),
  option({ name: 'CAfile', scope: 'service', syntax: 'CERT_FILE', description: 'file of CA certificates for verification', parse: path }),
  option({ name: 'cert', scope: 'service', syntax: 'PEM_FILE', description: 'certificate chain (required in server mode)', parse: path }),
  option({
    name: 'checkEmail',
    scope: 'service',
    syntax: 'EMAIL',
    repeatable: true,
    description: 'accept only peer certificates with this email address',
  }),
  option({
    name: 'checkHost',
    scope: 'service',
    syntax: 'HOST',
    repeatable: true,
    description: 'accept only peer certificates for this host name',
  }),
  option({
    name: 'checkIP',
    scope: 'service',
    syntax: 'IP',
    repeatable: true,
    description: 'accept only peer certificates for this IP address',
  }),
  option({
    name: 'ciphers',
    scope: 'service',
    syntax: 'CIPHER_LIST',
    default: 'HIGH:!aNULL:!SSLv2:!DH:!kDHEPSK',
    description: 'permitted ciphers for TLS 1.2 and older',
  }),
  option({
    name: 'client',
    scope: 'service',
    syntax: 'yes | no',
    default: 'no',
    description: 'client mode: the remote side speaks TLS',
    parse: yesNo,
  }),
  option({
    name: 'config',
    scope: 'service',
    syntax: 'COMMAND[:PARAMETER]',
    repeatable: true,
    description: 'OpenSSL SSL_CONF command to run on the TLS context',
  }),
  option({
    name: 'connect',
    scope: 'service',
    syntax: '[HOST:]PORT | UNIX_PATH',
    repeatable: true,
    description: 'address to connect to (localhost when only a port is given)',
    parse: address,
  }),
  option({ name: 'CRLpath', scope: 'service', syntax: 'DIRECTORY', description: 'directory of hashed CRLs', parse: path }),
  option({ name: 'CRLfile', scope: 'service', syntax: 'CRL_FILE', description: 'file of CRLs', parse: path }),
  option({
    name: 'curves',
    aliases: ['curve'],
    scope: 'service',
    syntax: 'NID[:NID...]',
    default: 'X25519:P-256:X448:P-521:P-384',
    description: 'ECDH curves (5.28 spelled it curve, one name)',
  }),
  option({
    name: 'logId',
    scope: 'service',
    syntax: 'sequential | unique | thread | process',
    default: 'sequential',
    description: 'kind of connection identifier in logs (process since 5.68)',
    parse: (value) => parseChoice(value, ['sequential', 'unique', 'thread', 'process'] as const),
  }),
  option({
    name: 'delay',
    scope: 'service',
    syntax: 'yes | no',
    default: 'no',
    description: 'resolve connect addresses at connection time',
    parse: yesNo,
  }),
  option({ name: 'engineId', scope: 'service', syntax: 'ENGINE_ID', description: 'engine to read the key from' }),
  option({
    name: 'engineNum',
    scope: 'service',
    syntax: 'ENGINE_NUMBER',
    description: 'number of the engine to read the key from (from 1)',
    parse: (value) => parseInteger(value, 1),
  }),
  option({
    name: 'exec',
    scope: 'service',
    syntax: 'EXECUTABLE_PATH',
    description: 'run this inetd-style program for each connection',
    parse: path,
  }),
  option({
    name: 'execArgs',
    scope: 'service',
    syntax: '$0 $1 $2 ...',
    description: 'arguments for exec, including the program name, split on whitespace',
    parse: parseExecArgs,
  }),
  option({
    name: 'failover',
    scope: 'service',
    syntax: 'rr | prio',
    default: 'rr',
    description: 'strategy for several connect targets: round robin or priority order',
    parse: (value) => parseChoice(value, ['rr', 'prio'] as const),
  }),
  option({ name: 'ident', scope: 'service', syntax: 'USERNAME', description: 'require this IDENT (RFC 1413) user name' }),
  option({
    name: 'include',
    scope: 'both',
    syntax: 'DIRECTORY',
    description: 'read every file in the directory, in ascending name order, as if written here',
    parse: undefined,
  }),
  option({ name: 'key', scope: 'service', syntax: 'KEY_FILE', default: 'the cert file', description: 'private key for cert', parse: path }),
  option({
    name: 'libwrap',
    scope: 'service',
    syntax: 'yes | no',
    default: 'no',
    description: 'check /etc/hosts.allow and /etc/hosts.deny',
    parse: yesNo,
  }),
  option({ name: 'local', scope: 'service', syntax: 'HOST', description: 'source address for outgoing connections' }),
  option({
    name: 'sni',
    scope: 'service',
    syntax: 'SERVICE:PATTERN (server) | SERVER_NAME (client)',
    repeatable: true,
    allowEmpty: true,
    description: 'server: serve this section for matching SNI names of another; client: SNI name to send',
  }),
  option({ name: 'OCSP', scope: 'service', syntax: 'URL', description: 'OCSP responder to check certificates with' }),
  option({
    name: 'OCSPaia',
    scope: 'service',
    syntax: 'yes | no',
    default: 'no',
    description: 'check certificates with their AIA OCSP responders',
    parse: yesNo,
  }),
  option({
    name: 'OCSPflag',
    scope: 'service',
    syntax: 'OCSP_FLAG',
    repeatable: true,
    description: 'OCSP responder flag',
    parse: parseOcspFlag,
  }),
  option({
    name: 'OCSPnonce',
    scope: 'service',
    syntax: 'yes | no',
    default: 'no',
    description: 'send and verify the OCSP nonce extension',
    parse: yesNo,
  }),
  option({
    name: 'options',
    scope: 'service',
    syntax: '[-]SSL_OPTION',
    repeatable: true,
    default: 'NO_SSLv2, NO_SSLv3',
    description: 'set (or with "-" clear) an OpenSSL option',
    parse: parseOpensslOption,
  }),
  option({
    name: 'protocol',
    scope: 'service',
    syntax: 'PROTO',
    description: 'application protocol to negotiate before TLS (open set: plugins)',
    parse: parseProtocolName,
  }),
  option({
    name: 'protocolAuthentication',
    scope: 'service',
    syntax: 'AUTHENTICATION',
    description: 'authentication type for the protocol negotiation',
  }),
  option({ name: 'protocolDomain', scope: 'service', syntax: 'DOMAIN', description: 'domain for the protocol negotiation' }),
  option({
    name: 'protocolHost',
    scope: 'service',
    syntax: 'HOST:PORT',
    description: 'destination (connect) or HELO name (smtp) for the protocol',
  }),
  option({ name: 'protocolPassword', scope: 'service', syntax: 'PASSWORD', description: 'password for the protocol negotiation' }),
  option({ name: 'protocolUsername', scope: 'service', syntax: 'USERNAME', description: 'user name for the protocol negotiation' }),
  option({ name: 'PSKidentity', scope: 'service', syntax: 'IDENTITY', description: 'PSK identity a client presents' }),
  option({ name: 'PSKsecrets', scope: 'service', syntax: 'FILE', description: 'file of IDENTITY:KEY pre-shared keys', parse: path }),
  option({
    name: 'pty',
    scope: 'service',
    syntax: 'yes | no',
    platform: 'unix',
    default: 'no',
    description: 'run exec on a pseudo-terminal',
    parse: yesNo,
  }),
  option({
    name: 'redirect',
    scope: 'service',
    syntax: '[HOST:]PORT',
    repeatable: true,
    description: 'where to send clients that fail certificate authentication (server mode)',
    parse: address,
  }),
  option({
    name: 'renegotiation',
    scope: 'service',
    syntax: 'yes | no',
    default: 'yes',
    description: 'allow TLS renegotiation',
    parse: yesNo,
  }),
  option({
    name: 'reset',
    scope: 'service',
    syntax: 'yes | no',
    default: 'yes',
    description: 'signal errors with a TCP RST',
    parse: yesNo,
  }),
  option({
    name: 'retry',
    scope: 'service',
    syntax: 'yes | no | DELAY',
    default: 'no',
    description: 'restart a connect+exec section when it ends (yes: after 1 s; DELAY: after that many ms, as newer stunnel)',
    parse: parseRetry,
  }),
  option({
    name: 'setgid',
    scope: 'both',
    syntax: 'GROUP',
    platform: 'unix',
    description: 'global: group to run as; service: group of the Unix accept socket',
  }),
  option({
    name: 'setuid',
    scope: 'both',
    syntax: 'USER',
    platform: 'unix',
    description: 'global: user to run as; service: owner of the Unix accept socket',
  }),
  option({
    name: 'sessionCacheSize',
    scope: 'service',
    syntax: 'NUM_ENTRIES',
    default: '1000',
    description: 'maximum TLS session cache entries (0: unlimited)',
    parse: (value) => parseInteger(value),
  }),
  option({
    name: 'sessionCacheTimeout',
    scope: 'service',
    syntax: 'SECONDS',
    default: '300',
    description: 'how long cached TLS sessions live',
    parse: seconds,
  }),
  option({
    name: 'sessiond',
    scope: 'service',
    syntax: 'HOST:PORT',
    description: 'address of a shared session cache server',
    parse: address,
  }),
  option({
    name: 'sslVersion',
    scope: 'service',
    syntax: 'all | SSLv2 | SSLv3 | TLSv1 | TLSv1.1 | TLSv1.2 | TLSv1.3',
    description: 'the only TLS version to use (sets both min and max)',
    parse: parseSslVersion,
  }),
  option({
    name: 'stack',
    scope: 'service',
    syntax: 'BYTES',
    default: '65536',
    description: 'thread stack size',
    parse: (value) => parseInteger(value),
  }),
  option({
    name: 'TIMEOUTbusy',
    scope: 'service',
    syntax: 'SECONDS',
    default: '300',
    description: 'time to wait for expected data',
    parse: seconds,
  }),
  option({
    name: 'TIMEOUTclose',
    scope: 'service',
    syntax: 'SECONDS',
    default: '60',
    description: 'time to wait for close_notify',
    parse: seconds,
  }),
  option({
    name: 'TIMEOUTconnect',
    scope: 'service',
    syntax: 'SECONDS',
    default: '10',
    description: 'time to wait for a remote connection',
    parse: seconds,
  }),
  option({
    name: 'TIMEOUTidle',
    scope: 'service',
    syntax: 'SECONDS',
    default: '43200',
    description: 'time to keep an idle connection',
    parse: seconds,
  }),
  option({
    name: 'transparent',
    scope: 'service',
    syntax: 'none | source | destination | both',
    platform: 'unix',
    default: 'none',
    description: 'transparent proxy mode (legacy yes = source, no = none)',
    parse: parseTransparent,
  }),
  option({
    name: 'verify',
    scope: 'service',
    syntax: 'LEVEL',
    default: 'none',
    description: 'peer certificate verification level 0-4',
    parse: parseVerify,
  }),

  // Options stunnel 5.68 knows that the 5.28 spec does not.
  option({
    name: 'CAengine',
    scope: 'service',
    syntax: 'CA_ID',
    repeatable: true,
    since: '5.68',
    description: 'engine-specific trusted CA certificate identifier',
  }),
  option({
    name: 'ciphersuites',
    scope: 'service',
    syntax: 'CIPHERSUITES_LIST',
    since: '5.68',
    description: 'permitted TLS 1.3 ciphersuites',
  }),
  option({
    name: 'protocolHeader',
    scope: 'service',
    syntax: 'HEADER',
    repeatable: true,
    since: '5.68',
    description: 'extra header for the protocol negotiation (connect)',
  }),
  option({
    name: 'requireCert',
    scope: 'service',
    syntax: 'yes | no',
    default: 'no',
    since: '5.68',
    description: 'require a peer certificate',
    parse: yesNo,
  }),
  option({
    name: 'securityLevel',
    scope: 'service',
    syntax: 'LEVEL',
    default: '2',
    since: '5.68',
    description: 'OpenSSL security level 0-5',
    parse: (value) => parseInteger(value, 0, 5),
  }),
  option({
    name: 'sessionResume',
    scope: 'service',
    syntax: 'yes | no',
    default: 'yes',
    since: '5.68',
    description: 'allow TLS session resumption',
    parse: yesNo,
  }),
  option({
    name: 'sslVersionMax',
    scope: 'service',
    syntax: 'all | SSLv3 | TLSv1 | TLSv1.1 | TLSv1.2 | TLSv1.3',
    default: 'all',
    since: '5.68',
    description: 'highest TLS version to use',
    parse: parseSslVersion,
  }),
  option({
    name: 'sslVersionMin',
    scope: 'service',
    syntax: 'all | SSLv3 | TLSv1 | TLSv1.1 | TLSv1.2 | TLSv1.3',
    default: 'TLSv1',
    since: '5.68',
    description: 'lowest TLS version to use',
    parse: parseSslVersion,
  }),
  option({
    name: 'ticketKeySecret',
    scope: 'service',
    syntax: 'HEX_KEY',
    since: '5.68',
    description: 'session ticket encryption key, 16 or 32 bytes in hex (server mode)',
    parse: parseHexSecret,
  }),
  option({
    name: 'ticketMacSecret',
    scope: 'service',
    syntax: 'HEX_KEY',
    since: '5.68',
    description: 'session ticket HMAC key, 16 or 32 bytes in hex (server mode)',
    parse: parseHexSecret,
  }),
  option({
    name: 'verifyChain',
    scope: 'service',
    syntax: 'yes | no',
    default: 'no',
    since: '5.68',
    description: 'verify the peer certificate chain up to a trusted root',
    parse: yesNo,
  }),
  option({
    name: 'verifyPeer',
    scope: 'service',
    syntax: 'yes | no',
    default: 'no',
    since: '5.68',
    description: 'require the peer certificate to be a locally trusted one',
    parse: yesNo,
  }),

  // Options of stunnels newer than Debian's 5.68 (its current manual), which 5.68 refuses as unknown.
  option({
    name: 'OCSPrequire',
    scope: 'service',
    syntax: 'yes | no',
    default: 'yes',
    since: '>5.68',
    description: 'require a conclusive OCSP answer; no = accept a peer when the responder gives none or says unknown',
    parse: yesNo,
  }),
  option({
    name: 'TIMEOUTocsp',
    scope: 'service',
    syntax: 'SECONDS',
    default: '10',
    since: '>5.68',
    description: 'time to wait for an OCSP responder',
    parse: (value) => parseInteger(value, 1, 3600),
  }),

  option({
    name: 'CAstore',
    scope: 'service',
    syntax: 'URI',
    repeatable: true,
    since: '>5.68',
    description: 'trusted CA certificates from an OpenSSL store URI',
  }),
  option({
    name: 'provider',
    scope: 'global',
    syntax: 'PROVIDER_ID',
    repeatable: true,
    since: '>5.68',
    description: 'load and activate an OpenSSL provider',
  }),
  option({
    name: 'providerParameter',
    scope: 'global',
    syntax: 'PROVIDER_ID:PARAMETER=VALUE',
    repeatable: true,
    since: '>5.68',
    description: 'set a parameter of an OpenSSL provider',
  }),

  // tunnel's own extension options (`since: 'tunnel'`): no stunnel knows them; each is off by default.
  option({
    name: 'allowPeer',
    scope: 'service',
    syntax: 'KIND:VALUE',
    repeatable: true,
    since: 'tunnel',
    description: 'identity ACL: admit only peers whose certificate matches one allowPeer rule (CN, OU, DNS, URI, IP, email, SPKI)',
  }),
  option({
    name: 'denyPeer',
    scope: 'service',
    syntax: 'KIND:VALUE',
    repeatable: true,
    since: 'tunnel',
    description: 'identity ACL: refuse peers whose certificate matches this rule (wins over allowPeer)',
  }),
  option({
    name: 'maxConnections',
    scope: 'both',
    syntax: 'N',
    default: 'unlimited',
    since: 'tunnel',
    description: 'connections served at once (global: the whole process; service: that service); excess ones are closed at once',
    parse: (value) => parseInteger(value, 1, 1_000_000),
  }),
  option({
    name: 'connectionRate',
    scope: 'service',
    syntax: 'N/SECONDS',
    default: 'unlimited',
    since: 'tunnel',
    description: 'at most N new connections per SECONDS from one source address (token bucket); excess ones are closed at once',
    parse: parseRate,
  }),
  option({
    name: 'certReload',
    scope: 'service',
    syntax: 'yes | no | SECONDS',
    default: 'no',
    since: 'tunnel',
    description: 'watch cert, key, CAfile and CRLfile and rebuild the service when one changes (checked every SECONDS, yes = 5)',
    parse: parseCertReload,
  }),
  option({
    name: 'alpn',
    scope: 'service',
    syntax: 'PROTOCOL[,PROTOCOL...]',
    since: 'tunnel',
    description: 'ALPN (RFC 7301): server offers/selects in this order, client requests these (e.g. h2,http/1.1)',
    parse: parseAlpnList,
  }),
  option({
    name: 'connectALPN',
    scope: 'service',
    syntax: 'PROTOCOL:[HOST:]PORT',
    repeatable: true,
    since: 'tunnel',
    description: 'server mode: connect here when ALPN negotiated PROTOCOL (otherwise connect = applies)',
    parse: (value, context) => {
      const colon = value.indexOf(':');
      if (colon <= 0) throw new InvalidValue(`expected PROTOCOL:[HOST:]PORT (e.g. h2:127.0.0.1:8080), got ${quote(value)}`);
      const [protocol] = parseAlpnList(value.slice(0, colon));
      return { protocol, address: parseAddress(value.slice(colon + 1).trim(), context) };
    },
  }),
  option({
    name: 'setEnv',
    scope: 'service',
    syntax: 'NAME=VALUE',
    repeatable: true,
    since: 'tunnel',
    description: 'an environment variable for the exec program (newer stunnel has the same option)',
    parse: parseSetEnv,
  }),
  option({
    name: 'workers',
    scope: 'global',
    syntax: 'N | auto',
    since: 'tunnel',
    platform: 'unix',
    description:
      'serve with N worker processes (node:cluster, sharing the listeners; auto = one per CPU); the primary restarts a worker that dies',
    parse: (value) => (value.toLowerCase() === 'auto' ? 'auto' : parseInteger(value, 1, 256)),
  }),
  option({
    name: 'metrics',
    scope: 'global',
    syntax: '[HOST:]PORT',
    since: 'tunnel',
    description: 'serve Prometheus metrics (GET /metrics) and a health probe (GET /health) over HTTP; HOST defaults to 127.0.0.1',
    parse: (value, context) => {
      const parsed = parseAddress(value, context);
      if (parsed.kind !== 'tcp') throw new InvalidValue('metrics needs [HOST:]PORT, not a Unix socket path');
      return parsed;
    },
  }),
  option({
    name: 'logFormat',
    scope: 'global',
    syntax: 'text | json',
    default: 'text',
    since: 'tunnel',
    description: "log lines as stunnel's text, or one JSON object per line with structured connection and TLS fields",
    parse: (value) => parseChoice(value, ['text', 'json'] as const),
  }),
];

const byLowerName = new Map<string, OptionSpec>();
for (const spec of optionRegistry) {
  for (const name of [spec.name, ...spec.aliases]) byLowerName.set(name.toLowerCase(), spec);
}

/** Look an option up by name, case-insensitively as stunnel does (aliases included). */
export function findOption(name: string): OptionSpec | undefined {
  return byLowerName.get(name.toLowerCase());
}

/**
 * The option list for `tunnel -help`: one line per option, grouped as global and service-level, like `stunnel -help`.
 * Windows-only options are listed as refused.
 */
export function describeOptions(): string {
  const width = Math.max(...optionRegistry.map((spec) => spec.name.length));
  const line = (spec: OptionSpec): string => {
    const notes = [
      spec.default === undefined ? undefined : `default: ${spec.default}`,
      spec.repeatable ? 'repeatable' : undefined,
      spec.since === '5.28'
        ? undefined
        : spec.since === 'tunnel'
          ? 'tunnel extension'
          : spec.since === '>5.68'
            ? 'stunnel newer than 5.68'
            : `since ${spec.since}`,
      spec.platform === 'all' ? undefined : spec.platform === 'unix' ? 'Unix only' : 'Windows only: refused',
    ].filter((note) => note !== undefined);
    const tail = notes.length === 0 ? '' : ` (${notes.join('; ')})`;
    return `${spec.name.padEnd(width)} = ${spec.syntax}\n${' '.repeat(width + 3)}${spec.description}${tail}`;
  };
  const global = optionRegistry.filter((spec) => spec.scope !== 'service');
  const service = optionRegistry.filter((spec) => spec.scope !== 'global');
  return ['Global options:', ...global.map(line), '', 'Service-level options:', ...service.map(line), ''].join('\n');
}
