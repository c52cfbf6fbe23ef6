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
  /** Certificate policy (`verify`, `CAfile`, `CRLfile`, `OCSP`…). Without it no peer certificate is requested and nothing is checked. */
  readonly verifier?: PeerVerifier | undefined;
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
}

/** Options of `createTunnel`. */
export interface TunnelOptions {
  readonly services: readonly ServiceOptions[];
  /** Where log records go; without it nothing is logged (events and diagnostics channels still fire). */
  readonly logger?: Logger | undefined;
  /** Level for messages about no particular service (global `debug =`, default 5). */
  readonly debug?: LogLevel | undefined;
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
}

/** The events a `Tunnel` emits. The same payloads are published on the `diagnostics_channel`s named in `channels`. */
export interface TunnelEvents {
  connectionOpen: [ConnectionOpenEvent];
  connectionClose: [ConnectionCloseEvent];
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
