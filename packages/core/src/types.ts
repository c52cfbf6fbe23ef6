/**
 * The public option and result types of `@tunnel/core`.
 *
 * Every option is already loaded and typed: the CLI reads files, parses
 * `stunnel.conf` and resolves names to values; core never opens a file
 * (except the Unix socket it is asked to listen on) and never prints.
 */
import type { TLSSocket } from 'node:tls';
import type { Server, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Mode, Protocol, ProtocolOptions } from '@tunnel/protocol';

/** A listening address: TCP (`host` defaults to all IPv4 and IPv6 addresses, `::`) or a Unix socket path (`accept = /path`). */
export type AcceptAddress =
  | { readonly host?: string | undefined; readonly port: number }
  | {
      readonly path: string;
      /** File mode of the socket (e.g. `0o660`); left to the umask when absent. */
      readonly mode?: number | undefined;
    };

/** An upstream: a host name or address and a port (names may resolve to several addresses, all tried), or a Unix socket path. */
export type ConnectTarget = { readonly host: string; readonly port: number } | { readonly path: string };

/** Syslog severity, as stunnel's `debug =`: emerg (0) … debug (7). */
export type LogLevel = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** One log event. Core filters by the service's `debug` level before handing it to the sink. */
export interface LogRecord {
  readonly level: LogLevel;
  readonly time: Date;
  /** The connection identifier per `logId`, or `undefined` for messages about no particular connection. */
  readonly id: string | undefined;
  /** The service name (`[name]`), when the message belongs to one. */
  readonly service: string | undefined;
  readonly message: string;
  /** The stable error code, when the message reports an error. */
  readonly code?: string | undefined;
}

/**
 * The log sink the application plugs in (a file, stderr, syslog). Core calls
 * `write` synchronously and never waits on it; a sink that does I/O must
 * buffer on its own. `formatLogRecord` renders stunnel's line format.
 */
export interface Logger {
  write(record: LogRecord): void;
}

/** `sslVersion =`. `SSLv2` and `SSLv3` are accepted by the type only to be refused with `ERR_TUNNEL_SSL_VERSION_REFUSED`. */
export type SslVersion = 'all' | 'SSLv2' | 'SSLv3' | 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/** The `TIMEOUT*` options, in seconds as in stunnel. Defaults: busy 300, close 60, connect 10, idle 43200. */
export interface Timeouts {
  /** `TIMEOUTbusy`: time to wait for expected data (protocol dialogues, the TLS handshake). */
  readonly busy?: number | undefined;
  /** `TIMEOUTclose`: time to wait for the peer's close_notify/FIN after ours; 0 closes at once. */
  readonly close?: number | undefined;
  /** `TIMEOUTconnect`: time to wait for each upstream connection attempt. */
  readonly connect?: number | undefined;
  /** `TIMEOUTidle`: time to keep a connection that carries no data in either direction. */
  readonly idle?: number | undefined;
}

/** The verdict of a `PeerVerifier`. */
export type PeerVerdict =
  | { readonly ok: true; readonly subject?: string }
  | { readonly ok: false; readonly code: string; readonly reason: string };

/**
 * The peer-certificate policy seam. `@tunnel/verify` implements it; core only
 * knows this shape (it never imports verify).
 */
export interface PeerVerifier {
  /** Merged into the TLS options of the service (server: requestCert asks for a client certificate). */
  readonly tlsOptions: {
    ca?: Array<string | Buffer>;
    crl?: Array<string | Buffer>;
    requestCert?: boolean;
    requestOCSP?: boolean;
  };
  /** Called once the handshake is done; rejectUnauthorized is always false in core, the verifier decides. */
  check(
    socket: TLSSocket,
    context: { mode: 'client' | 'server'; servername?: string; ocspResponse?: Buffer; signal: AbortSignal },
  ): Promise<PeerVerdict>;
  /** Server mode OCSP stapling: return the DER OCSP response to staple for our certificate, or undefined. */
  staple?(certificate: Buffer, issuer: Buffer, signal: AbortSignal): Promise<Buffer | undefined>;
}

/**
 * A server-side TLS session cache keyed by session ID. Core calls it from the
 * handshake: `get` when a client offers a session ID, `set` when OpenSSL made a
 * new TLS ≤ 1.2 session. Both must settle promptly (the handshake waits for
 * `get`; core gives up after `SESSION_STORE_TIMEOUT_MS` and treats it as a
 * miss); a rejection is a miss too. Sessions are OpenSSL's DER encoding and
 * hold the master secret: keep them private.
 */
export interface SessionStore {
  get(id: Buffer): Promise<Buffer | undefined>;
  set(id: Buffer, session: Buffer): Promise<void>;
}

/** The TLS settings a service (or an SNI slave service) uses for its side of TLS. */
export interface TlsServiceOptions {
  /** `cert =`: PEM certificate chain (leaf first). May also hold the key (key first, as `*-combined.pem`) and DH parameters, which are used as `dhparam`. Required in server mode. */
  readonly cert?: string | Buffer | undefined;
  /** `key =`: PEM private key; defaults to the key found in `cert`. */
  readonly key?: string | Buffer | undefined;
  /** `ciphers =`: OpenSSL cipher list for TLS ≤ 1.2 (may carry `@SECLEVEL=n`). */
  readonly ciphers?: string | undefined;
  /** `ciphersuites =` (stunnel 5.50+): TLS 1.3 cipher suites, colon-separated. */
  readonly ciphersuites?: string | undefined;
  /** `curve =`: ECDH curve name(s), colon-separated (Node `ecdhCurve`). Default: OpenSSL's list (stunnel 5.28 defaulted to prime256v1). */
  readonly curve?: string | undefined;
  /** `sslVersion =`: one protocol version only, or `all` (default). */
  readonly sslVersion?: SslVersion | undefined;
  /** `sslVersionMin =` / `sslVersionMax =` (stunnel 5.45+); ignored when `sslVersion` names one version. */
  readonly sslVersionMin?: Exclude<SslVersion, 'all' | 'SSLv2' | 'SSLv3'> | undefined;
  readonly sslVersionMax?: Exclude<SslVersion, 'all' | 'SSLv2' | 'SSLv3'> | undefined;
  /**
   * `options =` lines, in order: OpenSSL option names without `SSL_OP_`
   * (`NO_TLSv1`, `CIPHER_SERVER_PREFERENCE`, …); a leading `-` clears the
   * option. Applied on top of the defaults `NO_SSLv2`, `NO_SSLv3`.
   */
  readonly options?: readonly string[] | undefined;
  /** `renegotiation =` (default yes). `false` sets OpenSSL's `NO_RENEGOTIATION`: a TLS ≤ 1.2 renegotiation request is refused with an alert. */
  readonly renegotiation?: boolean | undefined;
  /** `sessionCacheTimeout =` in seconds: TLS session and ticket lifetime (server mode). */
  readonly sessionCacheTimeout?: number | undefined;
  /**
   * `sessionResume =` (default true). `false`: no session IDs are cached and no tickets are issued (server),
   * no session is offered (client): every handshake is a full one.
   */
  readonly sessionResume?: boolean | undefined;
  /**
   * Server mode: where session IDs (TLS ≤ 1.2 with tickets off) are cached and looked up (`@tunnel/sessions`
   * implements it: a bounded LRU, Redis, cluster IPC). Without one, session IDs do not resume; tickets still do.
   * SNI slaves use their master's store.
   */
  readonly sessionStore?: SessionStore | undefined;
  /** Server mode: the 48 bytes of session ticket keys (Node's `ticketKeys`); default random per secure context. */
  readonly ticketKeys?: Buffer | undefined;
  /** Certificate policy (`verify`, `CAfile`, `CRLfile`, `OCSP`…). Without it no peer certificate is requested and nothing is checked. */
  readonly verifier?: PeerVerifier | undefined;
  /**
   * `cert =` naming a PKCS#12 file (stunnel 5.68 reads P12 as well as PEM): its DER bytes, loaded as Node's
   * `pfx` (certificate, key and chain). Used instead of `cert`/`key`.
   */
  readonly pfx?: Buffer | undefined;
  /** The password of `pfx`; default none (an unencrypted or empty-password file). */
  readonly pfxPassphrase?: string | undefined;
  /**
   * `PSKsecrets =`: TLS-PSK identities and their keys (at least 16 bytes each, stunnel 5.68's rule). Server mode
   * accepts a client whose identity is here with the matching key (a certificate becomes optional); client mode
   * presents `pskIdentity`. With PSK and no `ciphers`, stunnel's default cipher list (which allows PSK suites) is used.
   */
  readonly psk?: ReadonlyMap<string, Buffer> | undefined;
  /** `PSKidentity =` (client mode): the identity to present; default the first one in `psk`. */
  readonly pskIdentity?: string | undefined;
  /** `alpn =` (tunnel extension): ALPN protocol names (RFC 7301), offered by a client and selected by a server in this order. */
  readonly alpn?: readonly string[] | undefined;
  /** `config = SignatureAlgorithms:…`: the signature algorithms offered (Node `sigalgs`), colon-separated. */
  readonly sigalgs?: string | undefined;
}

/** `connectALPN =` (tunnel extension): the upstream for connections whose negotiated ALPN protocol is `protocol`. */
export interface AlpnRoute {
  readonly protocol: string;
  /** Tried in order (fixed order, no round robin), as `connect =` targets. */
  readonly connect: readonly ConnectTarget[];
}

/** The upstream settings a service (or an SNI slave service) uses. */
export interface UpstreamOptions {
  /** `connect =` targets, in configuration order. Empty only when a protocol sets the target (SOCKS). */
  readonly connect: readonly ConnectTarget[];
  /** `failover =` (default `rr`): round robin across connections, or priority order. */
  readonly failover?: 'rr' | 'prio' | undefined;
  /** `delay =`: resolve host names at connect time instead of at start-up (forces `prio`). */
  readonly delay?: boolean | undefined;
  /** `local =`: source address for upstream TCP connections. */
  readonly local?: string | undefined;
  /** `redirect =`: server mode, where to send a client whose certificate the verifier rejected. */
  readonly redirect?: readonly ConnectTarget[] | undefined;
  /**
   * `exec =`: a local program. Without `connect` it is the upstream, started for each connection (server mode: after
   * the TLS handshake, its stdin/stdout carry the plaintext; client mode: before TLS, its stdin/stdout carry TLS).
   * With `connect` (connect+exec, no `accept`) it is the accepted side instead: see `runExecConnect`.
   */
  readonly exec?: ExecOptions | undefined;
}

/**
 * Allocates a pseudo-terminal for `exec` with `pty`. Core makes no system calls Node lacks, so the application
 * supplies it (the CLI passes `@tunnel/os`'s `openPty` + `ptyStream`): `slave` becomes the program's
 * stdin/stdout/stderr, `stream` is the master side, `closeSlave` releases tunnel's copy once the program has it.
 */
export type PtyAllocator = () => { readonly stream: Duplex; readonly slave: number; readonly path: string; closeSlave(): void };

/** `exec`, `execArgs`, `pty`, `setEnv`, `retry`: the program a service runs. */
export interface ExecOptions {
  /** `exec =`: the program, run as execve(2) runs it (no PATH search; relative to the chroot jail when one is in force). */
  readonly path: string;
  /** `execArgs =`: the whole argv including `$0`; default `[path]` (stunnel 5.68). */
  readonly args?: readonly string[] | undefined;
  /** `setEnv =` lines: added to the inherited environment; REMOTE_HOST, REMOTE_PORT, SSL_CLIENT_DN, SSL_CLIENT_I_DN still win. */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** `pty = yes`: run the program on a pseudo-terminal from this allocator instead of a socket pair. */
  readonly pty?: PtyAllocator | undefined;
  /**
   * The program's stderr: `connection` (default) sends it down the connection with stdout, as stunnel does when it
   * does not log to stderr; `inherit` leaves it on tunnel's stderr (stunnel with `foreground = yes`).
   */
  readonly stderr?: 'inherit' | 'connection' | undefined;
  /** connect+exec only (`retry`): start the program again this many ms (at least `RETRY_MIN_MS`, 100) after its connection ended; absent runs it once. */
  readonly retryMs?: number | undefined;
}

/** A service that an SNI master hands a connection to when the client's server name matches `pattern`. */
export interface SniService {
  /** `sni = master:PATTERN`: a host name, or `*.` followed by a domain (one or more labels in place of `*`). Case-insensitive. */
  readonly pattern: string;
  readonly service: SniSlaveOptions;
}

/** The options of an SNI slave service: its own name, TLS material and upstream. The protocol is the master's (stunnel: the slave's `connect` is ignored when a protocol connects before TLS). */
export interface SniSlaveOptions extends TlsServiceOptions, UpstreamOptions {
  readonly name: string;
  readonly debug?: LogLevel | undefined;
}

/** `logId =`. `thread` is the connection's sequential number (a Node connection is an async task, not a thread); `process` is the pid. */
export type LogIdType = 'sequential' | 'unique' | 'thread' | 'process';

/**
 * Per-connection policy the application plugs in (the CLI uses it for
 * `libwrap`, `ident`, `socket` and `transparent`). Core calls these at fixed
 * points and knows nothing of what they do.
 */
export interface ConnectionHooks {
  /**
   * Runs first for each accepted TCP or Unix socket, under TIMEOUTbusy.
   * Throw an Error with a `code` to refuse the connection (it is logged and
   * closed); return a target to use instead of `connect` (the original
   * destination of a redirected connection).
   */
  readonly admit?: (
    socket: Socket,
    context: { readonly service: string; readonly signal: AbortSignal },
  ) => Promise<ConnectTarget | undefined>;
  /**
   * Opens the upstream TCP connection to one resolved address instead of
   * `net.connect` (binding the client's address, options set before connect).
   * Core still applies TIMEOUTconnect and failover around it.
   */
  readonly openUpstream?: (
    address: { readonly host: string; readonly port: number; readonly family: number },
    context: { readonly client: Duplex; readonly local: string | undefined; readonly signal: AbortSignal },
  ) => Promise<Socket>;
  /** Binds a TCP listener instead of `server.listen` (options that must be set before bind). */
  readonly listen?: (server: Server, address: { readonly host: string; readonly port: number }) => Promise<void>;
}

/** One `[service]` section. */
export interface ServiceOptions extends TlsServiceOptions, UpstreamOptions {
  /** The section name; names the service in logs and errors. Unique within a tunnel. */
  readonly name: string;
  /** `client = no` → `server` (TLS toward accepted peers), `client = yes` → `client` (TLS toward the upstream). */
  readonly mode: Mode;
  /** `accept =` addresses. May be empty for a service that only serves connections handed to `serveConnection` (inetd mode). */
  readonly accept: readonly AcceptAddress[];
  /** `sni =` in client mode: the server name sent; default the connect host name (when it is not an IP address); `''` sends none. */
  readonly sni?: string | undefined;
  /** `sni = thisService:pattern` lines of other sections (server mode): the slave services of this master. */
  readonly sniServices?: readonly SniService[] | undefined;
  /** `TIMEOUT*` in seconds. */
  readonly timeouts?: Timeouts | undefined;
  /** `reset =` (default yes): close with a TCP RST when a connection ends in an error. */
  readonly reset?: boolean | undefined;
  /** `protocol =`: a protocol plugin value (contract of `@tunnel/protocol`). */
  readonly protocol?: Protocol | undefined;
  /** `protocol*` options, passed to the plugin untouched. */
  readonly protocolOptions?: ProtocolOptions | undefined;
  /** `compression =`: a deflate stage around the TLS payload; both ends must be tunnel (see README). */
  readonly compression?: 'deflate' | 'zlib' | undefined;
  /** `debug =` level of this service (default 5, notice). */
  readonly debug?: LogLevel | undefined;
  /** `logId =` (default `sequential`). */
  readonly logId?: LogIdType | undefined;
  /** Policy hooks (access control, socket options, transparent proxying). */
  readonly hooks?: ConnectionHooks | undefined;
  /**
   * `connectALPN =` (server mode, tunnel extension): upstreams chosen by the ALPN protocol the client and `alpn`
   * agreed on; a connection with no route (or no ALPN) uses `connect`. Applies to the master service, not to an
   * SNI slave it switched to, and not when a protocol already connected the upstream before TLS.
   */
  readonly alpnRoutes?: readonly AlpnRoute[] | undefined;
  /** `maxConnections =` (tunnel extension): connections of this service served at once; excess ones are closed at accept. */
  readonly maxConnections?: number | undefined;
  /** `connectionRate = N/SECONDS` (tunnel extension): new connections per source address (token bucket); excess ones are closed at accept. */
  readonly connectionRate?: { readonly count: number; readonly seconds: number } | undefined;
}

/** Options of `createTunnel`. */
export interface TunnelOptions {
  readonly services: readonly ServiceOptions[];
  /** Where log records go; without it nothing is logged (events and diagnostics channels still fire). */
  readonly logger?: Logger | undefined;
  /** Level for messages about no particular service (global `debug =`, default 5). */
  readonly debug?: LogLevel | undefined;
  /** Global `maxConnections =` (tunnel extension): connections of all services served at once. */
  readonly maxConnections?: number | undefined;
}

/** Options of `Tunnel.close`. */
export interface CloseOptions {
  /** Wait for connections in flight to finish (default true); otherwise they are destroyed at once. */
  readonly graceful?: boolean | undefined;
  /** With `graceful`, destroy what is still open after this many milliseconds (default 10000). */
  readonly timeoutMs?: number | undefined;
}

/** A connection that has been accepted, as reported to listeners. */
export interface ConnectionOpenEvent {
  readonly id: string;
  readonly service: string;
  readonly peer: { readonly address: string; readonly port: number; readonly family: string };
}

/** A connection that has closed, with its byte counts (stunnel's "N byte(s) sent to TLS, M byte(s) sent to socket"). */
export interface ConnectionCloseEvent extends ConnectionOpenEvent {
  /** Bytes written toward the TLS side (plaintext payload before encryption). */
  readonly bytesToTls: number;
  /** Bytes written toward the plain socket side. */
  readonly bytesToSocket: number;
  /** True when the connection ended in an error or a reset. */
  readonly reset: boolean;
  /** The error that ended it, when there was one. */
  readonly error: { readonly code: string; readonly message: string } | undefined;
  readonly durationMs: number;
  /** `client` or `server`: which side carries TLS (says which byte count is "received" and which "sent"). */
  readonly mode?: 'client' | 'server' | undefined;
  /** The chain stage the error happened in (`accept` for a policy refusal, `tls`, `connect`, `pump`…), when there was an error. */
  readonly stage?: string | undefined;
}

/** A completed TLS handshake (event `tlsHandshake`, channel `tunnel:tls:handshake`). */
export interface TlsHandshakeEvent {
  readonly id: string;
  /** The service that serves the connection (an SNI slave's name once SNI switched to it). */
  readonly service: string;
  readonly mode: 'client' | 'server';
  /** `TLSv1.3`, `TLSv1.2`…, as OpenSSL names it. */
  readonly version: string | undefined;
  /** IANA/RFC cipher suite name. */
  readonly cipher: string | undefined;
  /** The SNI server name (sent in client mode, received in server mode). */
  readonly servername: string | undefined;
  readonly alpnProtocol: string | undefined;
  /** True when an earlier session was resumed (session id or ticket). */
  readonly resumed: boolean;
  /** The peer certificate's subject in OpenSSL's one-line form, when the peer sent one. */
  readonly peerSubject: string | undefined;
  /** From the start of the connection's handshake to its end. */
  readonly durationMs: number;
}

/** A TLS handshake that failed, or a peer certificate the policy rejected (event `handshakeFailure`, channel `tunnel:tls:failure`). */
export interface HandshakeFailureEvent {
  readonly id: string;
  readonly service: string;
  readonly mode: 'client' | 'server';
  /** `handshake`: TLS itself failed (no shared cipher, peer closed, TIMEOUTbusy); `verification`: the verifier said no. */
  readonly kind: 'handshake' | 'verification';
  /** The stable error code (`ERR_TUNNEL_TLS_HANDSHAKE`, `ERR_TUNNEL_PEER_REJECTED`, …). */
  readonly code: string;
  /** Why, in words (OpenSSL's reason or the verifier's). */
  readonly reason: string;
  /** True when `redirect =` sent the client elsewhere instead of closing. */
  readonly redirected: boolean;
  readonly durationMs: number;
}

/** A connection closed at accept by `maxConnections` or `connectionRate` (event `connectionRefused`), before any byte was read. */
export interface ConnectionRefusedEvent {
  readonly service: string;
  readonly peer: { readonly address: string; readonly port: number; readonly family: string };
  /** `ERR_TUNNEL_MAX_CONNECTIONS` or `ERR_TUNNEL_CONNECTION_RATE`. */
  readonly code: string;
  readonly reason: string;
}

/** A connection in flight, as `Tunnel.activeConnections()` lists it (SIGUSR2). */
export interface ActiveConnection extends ConnectionOpenEvent {
  /** When it was accepted. */
  readonly since: Date;
  /** Bytes read from the accepted socket so far (as the kernel counted them: TLS records included in server mode). */
  readonly bytesIn: number;
  /** Bytes written to the accepted socket so far. */
  readonly bytesOut: number;
}

/** The events a `Tunnel` emits. The same payloads are published on the `diagnostics_channel`s named in `channels`. */
export interface TunnelEvents {
  connectionOpen: [ConnectionOpenEvent];
  connectionClose: [ConnectionCloseEvent];
  tlsHandshake: [TlsHandshakeEvent];
  handshakeFailure: [HandshakeFailureEvent];
  connectionRefused: [ConnectionRefusedEvent];
}

/** A running set of services. */
export interface Tunnel {
  /** Binds every service's `accept` addresses. Rejects with `ERR_TUNNEL_ADDRESS_IN_USE` (naming the service) or `ERR_TUNNEL_LISTEN_FAILED`; nothing stays bound on failure. */
  listen(): Promise<void>;
  /** Stops accepting; graceful waits for connections in flight (up to `timeoutMs`), otherwise destroys them. */
  close(options?: CloseOptions): Promise<void>;
  /**
   * Replaces the service set (SIGHUP). A service whose name and `accept` list
   * are unchanged keeps its listeners; new connections use the new options;
   * connections in flight keep the options they started with. Removed
   * services stop listening; added ones are bound.
   */
  reload(services: readonly ServiceOptions[]): Promise<void>;
  /** The bound addresses per service (ports resolved when 0 was asked). */
  addresses(): ReadonlyMap<string, readonly (string | { address: string; port: number; family: string })[]>;
  /** Number of connections in flight. */
  readonly connections: number;
  /** The connections in flight, oldest first (SIGUSR2 logs them). */
  activeConnections(): ActiveConnection[];
  on<E extends keyof TunnelEvents>(event: E, listener: (...args: TunnelEvents[E]) => void): this;
  off<E extends keyof TunnelEvents>(event: E, listener: (...args: TunnelEvents[E]) => void): this;
}

/** Options of `serveConnection` (inetd mode: one already-connected stream, e.g. stdin/stdout joined with `Duplex.from`). */
export interface ServeConnectionOptions {
  readonly service: ServiceOptions;
  /** The accepted side: plaintext in client mode, TLS from the peer in server mode. */
  readonly stream: Duplex;
  /** How to name the peer in logs (default `stdio`). */
  readonly peer?: { readonly address: string; readonly port: number; readonly family: string } | undefined;
  readonly logger?: Logger | undefined;
  /** Aborting tears the connection down. */
  readonly signal?: AbortSignal | undefined;
}
