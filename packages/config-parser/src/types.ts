/**
 * The typed model of a stunnel configuration file (stunnel 5.28 manual, with the options Debian's stunnel 5.68 adds).
 *
 * Conventions:
 * - Option fields carry stunnel's own option names, spelled as the manual spells them (`CAfile`, `TIMEOUTbusy`, ...).
 * - yes/no values are booleans, numbers are numbers, enumerations are string-literal unions.
 * - Repeatable options are arrays in the order they appear in the file(s).
 * - Options with a default documented by the manual are always present; the others are optional.
 */

/** Where an option (or a section) was written: the file and its 1-based line number. */
export interface Location {
  file: string;
  line: number;
}

/**
 * A listening or connecting address. stunnel splits `HOST:PORT` on the LAST colon, so `:::443` is host `::`, port 443.
 * A bare port means "all interfaces" for `accept` and "localhost" for `connect` (host is `undefined`; the consumer applies
 * the right default). A value containing '/' is a Unix socket path.
 */
export type Address = { kind: 'tcp'; host: string | undefined; port: number } | { kind: 'unix'; path: string };

/** `debug = [FACILITY.]LEVEL`: syslog facility (lower-case, default 'daemon') and level 0 (emerg) … 7 (debug). */
export interface DebugLevel {
  facility: string;
  level: number;
}

/** Which socket a `socket` option applies to: a = accepting, l = local (accepted), r = remote (outgoing). */
export type SocketSide = 'a' | 'l' | 'r';

/**
 * `socket = a|l|r:OPTION=VALUE[:VALUE]`. OPTION is kept upper-cased as stunnel knows it (SO_LINGER, TCP_NODELAY, ...).
 * Two-part values (SO_LINGER `l_onof:l_linger`, SO_RCVTIMEO `tv_sec:tv_usec`) are a tuple.
 */
export interface SocketOption {
  side: SocketSide;
  option: string;
  value: string | [string, string];
}

/** `verify` levels 0–4 (spec: "verify = LEVEL"); absent means no verification. */
export type VerifyLevel = 0 | 1 | 2 | 3 | 4;

/** `failover` strategy for several `connect` targets. */
export type FailoverPolicy = 'rr' | 'prio';

/** `transparent` modes; the legacy values yes/no are mapped to 'source'/'none'. */
export type TransparentMode = 'none' | 'source' | 'destination' | 'both';

/** `logId` connection identifier types ('process' since 5.68). */
export type LogIdType = 'sequential' | 'unique' | 'thread' | 'process';

/** `compression` algorithms. */
export type CompressionMethod = 'deflate' | 'zlib';

/** `foreground`: false = daemon, true = stay in foreground and also log to stderr, 'quiet' = foreground without stderr. */
export type ForegroundMode = boolean | 'quiet';

/** `log` file handling. */
export type LogMode = 'append' | 'overwrite';

/**
 * `sslVersion`/`sslVersionMin`/`sslVersionMax` values. The parser accepts the syntax (SSLv2/SSLv3 included); whether a
 * version can actually be used is decided later (the CLI refuses SSLv2/SSLv3).
 */
export type SslVersion = 'all' | 'SSLv2' | 'SSLv3' | 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/**
 * `sni`, decided by the service's `client` setting once the whole section is read (client may come after sni):
 * - server mode `sni = SERVICE_NAME:SERVER_NAME_PATTERN` → `slave`: this service is a name-based virtual server behind
 *   `parent`. The option may be repeated; `pattern` is the first pattern and `patterns` lists all of them in order.
 * - client mode `sni = SERVER_NAME` → `client`: the name sent in the TLS SNI extension; '' means send no SNI.
 */
export type SniConfig = { kind: 'slave'; parent: string; pattern: string; patterns: string[] } | { kind: 'client'; name: string };

/** Options of the global section (before the first `[service]`). */
export interface GlobalOptions {
  /** Where each global option was last set, keyed by the option's canonical name. */
  locations: Record<string, Location>;
  /** Unix only. */
  chroot?: string;
  compression?: CompressionMethod;
  /** Global part of `debug`; also the default for services that do not set their own. Default daemon.notice (5). */
  debug: DebugLevel;
  /** Unix only. */
  EGD?: string;
  /** `engine = auto | ENGINE_ID`. */
  engine?: string;
  /** `engineCtrl = COMMAND[:PARAMETER]`, repeatable, in order. */
  engineCtrl: string[];
  /** `provider = PROVIDER_ID`, repeatable (a stunnel newer than 5.68). */
  provider: string[];
  /** `providerParameter = PROVIDER_ID:PARAMETER=VALUE`, repeatable (a stunnel newer than 5.68). */
  providerParameter: string[];
  /** `engineDefault = TASK_LIST`, comma-separated list split into its items. */
  engineDefault?: string[];
  /** Default false (since 5.00). */
  fips: boolean;
  /** Unix only. Default false (daemon). */
  foreground: ForegroundMode;
  /** Default 'append'. */
  log: LogMode;
  output?: string;
  /** Unix only. '' means "create no pid file". */
  pid?: string;
  RNDbytes?: number;
  RNDfile?: string;
  /** Default true. */
  RNDoverwrite: boolean;
  /** Unix only. Default 'stunnel'. */
  service: string;
  /** Global `socket` options (apply as defaults to every service). */
  socket: SocketOption[];
  /** Unix only. Default true. */
  syslog: boolean;
  /** Unix only: setuid() in daemon mode. */
  setuid?: string;
  /** Unix only: setgid() in daemon mode. */
  setgid?: string /** Tunnel extension: connections served at once by the whole process (unset = unlimited). */;
  maxConnections?: number;
  /** `workers = N | auto` (tunnel extension): worker processes sharing the listeners; absent = serve in this process. */
  workers?: number | 'auto';
  /** `metrics = [HOST:]PORT` (tunnel extension): the Prometheus/health HTTP endpoint; absent = none. */
  metrics?: Extract<Address, { kind: 'tcp' }>;
  /** `logFormat = text | json` (tunnel extension); absent = text. */
  logFormat?: 'text' | 'json';
}

/**
 * One `[service]` section, with the global section's service-level options already applied as defaults
 * (stunnel 5 behaviour). In inetd mode (no section at all) the single service is named `inetd`.
 */
export interface ServiceConfig {
  /** The section name (`[name]`), or 'inetd' in inetd mode. */
  name: string;
  /** Where the section header was written (the first line of the file in inetd mode). */
  location: Location;
  /** Where each option was last set, keyed by the option's canonical name (e.g. `cert`, `CAfile`). */
  locations: Record<string, Location>;

  /** Repeatable (5.68 accepts several). Empty in inetd mode. */
  accept: Address[];
  /** Repeatable (since 5.68). */
  CAengine: string[];
  /** `CAstore = URI`, repeatable (a stunnel newer than 5.68). */
  CAstore: string[];
  CApath?: string;
  CAfile?: string;
  cert?: string;
  checkEmail: string[];
  checkHost: string[];
  checkIP: string[];
  ciphers?: string;
  /** TLS 1.3 ciphersuites (since 5.68). */
  ciphersuites?: string;
  /** Default false (server mode). */
  client: boolean;
  /** `config = COMMAND[:PARAMETER]`, repeatable. */
  config: string[];
  /** Repeatable; a bare port means localhost. */
  connect: Address[];
  CRLpath?: string;
  CRLfile?: string;
  /** `curves` (5.68; the 5.28 spelling `curve` is accepted as the same option). */
  curves?: string;
  /** Service log level; defaults to the global `debug`. */
  debug: DebugLevel;
  /** Default false. */
  delay: boolean;
  engineId?: string;
  engineNum?: number;
  exec?: string;
  /** `execArgs` split on whitespace (no quoting, as the spec says). */
  execArgs?: string[];
  /** Default 'rr' (the 5.28 spec; 5.68 documents prio). */
  failover: FailoverPolicy;
  ident?: string;
  key?: string;
  /** Default false (since 5.00). */
  libwrap: boolean;
  local?: string;
  /** Default 'sequential'. */
  logId: LogIdType;
  OCSP?: string;
  /** Default false. */
  OCSPaia: boolean;
  OCSPflag: string[];
  /** Default false. */
  OCSPnonce: boolean;
  /** Default true (a stunnel newer than 5.68). */
  OCSPrequire: boolean;
  /** Seconds to wait for an OCSP responder (a stunnel newer than 5.68); unset means verify's default (10). */
  TIMEOUTocsp?: number;
  /** OpenSSL option names without SSL_OP_, in order, a leading '-' kept (it clears the option). */
  options: string[];
  /** Open set: a name the CLI resolves to a protocol plugin. */
  protocol?: string;
  protocolAuthentication?: string;
  protocolDomain?: string;
  /** Repeatable custom headers (since 5.68). */
  protocolHeader: string[];
  /**
   * Extension settings for protocol plugins: any other `protocolX = value` line (tunnel's extension; stunnel refuses
   * them as unknown options), keyed by `x` in lower case. `locations` records them under the name as written.
   */
  protocolExtra: Record<string, string>;
  protocolHost?: string;
  protocolPassword?: string;
  protocolUsername?: string;
  PSKidentity?: string;
  PSKsecrets?: string;
  /** Unix only. Default false. */
  pty: boolean;
  /** Repeatable. */
  redirect: Address[];
  /** Default true. */
  renegotiation: boolean;
  /** Default false (since 5.68). */
  requireCert: boolean;
  /** Default true. */
  reset: boolean;
  /** Default false. `true` is 5.68's `yes`; a number is newer stunnel's restart delay in milliseconds. */
  retry: boolean | number;
  /** OpenSSL security level 0–5 (since 5.68). */
  securityLevel?: number;
  /** Unix only: service name for TCP Wrappers, when set in the section (otherwise `globals.service` applies). */
  service?: string;
  /** Unix only: owner of a Unix `accept` socket. */
  setuid?: string;
  /** `setEnv = NAME=VALUE` lines, in order (tunnel extension; newer stunnel has it). */
  setEnv: Array<{ name: string; value: string }>;
  /** Unix only: group of a Unix `accept` socket. */
  setgid?: string;
  /** Default 1000 (0 = unlimited). */
  sessionCacheSize: number;
  /** Seconds, default 300. */
  sessionCacheTimeout: number;
  /** Default true (since 5.68). */
  sessionResume: boolean;
  sessiond?: Address;
  sni?: SniConfig;
  /** Global socket options first, then this service's, in order. */
  socket: SocketOption[];
  sslVersion?: SslVersion;
  sslVersionMax?: SslVersion;
  sslVersionMin?: SslVersion;
  stack?: number;
  /** Hex key, colons removed, lower-case (since 5.68). */
  ticketKeySecret?: string;
  /** Hex key, colons removed, lower-case (since 5.68). */
  ticketMacSecret?: string;
  /** Seconds, default 300. */
  TIMEOUTbusy: number;
  /** Seconds, default 60. */
  TIMEOUTclose: number;
  /** Seconds, default 10. */
  TIMEOUTconnect: number;
  /** Seconds, default 43200. */
  TIMEOUTidle: number;
  /** Unix only. Default 'none'. */
  transparent: TransparentMode;
  verify?: VerifyLevel;
  /** Default false (since 5.68). */
  verifyChain: boolean;
  /** Default false (since 5.68). */
  verifyPeer: boolean /** Tunnel extension: identity ACL rules `KIND:VALUE` that admit a peer (any allow present → one must match). */;
  allowPeer: string[];
  /** Tunnel extension: identity ACL rules `KIND:VALUE` that refuse a peer (deny wins). */
  denyPeer: string[];
  /** Tunnel extension: connections this service serves at once (unset = unlimited). */
  maxConnections?: number;
  /** Tunnel extension: new connections per source address, `count` per `seconds` (token bucket). */
  connectionRate?: { count: number; seconds: number };
  /** Tunnel extension: check interval in seconds for cert/key/CAfile/CRLfile changes (unset = off). */
  certReload?: number;
  /** Tunnel extension: ALPN protocol names (RFC 7301), in preference order. */
  alpn?: string[];
  /** Tunnel extension: server mode upstreams chosen by the negotiated ALPN protocol, in order written. */
  connectALPN: { protocol: string; address: Address }[];
  /** Where each `config =` line was written, index-aligned with `config` (so a refused command names its own line). */
  configLocations: Location[];
}

/**
 * A whole parsed configuration.
 *
 * `inetd` is true when the file has no `[service]` section (inetd mode, spec "INETD MODE"): the service-level options
 * are written in the global section, and `services` holds exactly one ServiceConfig named `inetd` built from them.
 * `files` lists every file read, the main file first, then included files in the order they were read.
 */
export interface Config {
  globals: GlobalOptions;
  services: ServiceConfig[];
  inetd: boolean;
  files: string[];
}
