/**
 * The protocol-plugin contract.
 *
 * A protocol is a plain value: a name equal to stunnel's `protocol =` value, the
 * contract version it was written for, the modes it supports, and the phase
 * hooks it implements. Core runs the hooks at the right moment of a
 * connection; it never looks at a protocol's name. Built-in protocols and
 * third-party ones go through exactly the same path.
 *
 * Protocol packages (built-in and third-party) depend on this small package
 * only, never on core: core re-exports it and runs the hooks.
 */
import type { Duplex } from 'node:stream';

/** The contract version this build of core implements. */
export const PROTOCOL_CONTRACT_VERSION = 1;

/** `client = no` is server mode (TLS toward the accepted peer); `client = yes` is client mode (TLS toward the upstream). */
export type Mode = 'client' | 'server';

/** A host and port the upstream may be set to. */
export interface Target {
  readonly host: string;
  readonly port: number;
}

/** The `protocol*` service options, passed to the protocol untouched (after the config parser has checked their syntax). */
export interface ProtocolOptions {
  /** `protocolHost`: the host to reach through a CONNECT proxy, or the SMTP HELO name. */
  readonly host?: string | undefined;
  /** `protocolAuthentication`: e.g. `basic`, `ntlm`, `plain`, `login`. */
  readonly authentication?: string | undefined;
  /** `protocolUsername` */
  readonly username?: string | undefined;
  /** `protocolPassword` */
  readonly password?: string | undefined;
  /** `protocolDomain` */
  readonly domain?: string | undefined;
  /** `protocolHeader` (stunnel 5.35+), in order. */
  readonly headers?: readonly string[] | undefined;
  /** Extension settings for third-party protocols: any other `protocolX = value` line, keyed by `X` lower-cased. */
  readonly extra?: Readonly<Record<string, string>> | undefined;
}

/** Minimal logger a protocol may use. Levels follow syslog (see `debug =`). */
export interface ProtocolLogger {
  error(message: string): void;
  warning(message: string): void;
  notice(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

/**
 * One side of a connection as a protocol sees it: bounded line I/O on top of
 * a Duplex. Bytes the channel has read but not yet handed out stay buffered;
 * core takes them back (never drops them) when the dialogue ends.
 */
export interface Channel {
  /** The underlying stream. Write to it freely; read from it only through the channel while a hook runs. */
  readonly stream: Duplex;
  /**
   * Reads one line terminated by LF (a preceding CR is removed). Fails with
   * `ERR_TUNNEL_LINE_TOO_LONG` past `maxLength` bytes (default 1024) and with
   * `ERR_TUNNEL_PEER_CLOSED` when the stream ends first.
   */
  readLine(options?: { maxLength?: number }): Promise<string>;
  /** Reads exactly `length` bytes. Fails with `ERR_TUNNEL_PEER_CLOSED` when the stream ends first. */
  readBytes(length: number): Promise<Buffer>;
  /** Writes `line` followed by CRLF. */
  writeLine(line: string): Promise<void>;
  /** Writes raw bytes. */
  write(data: Buffer | string): Promise<void>;
  /** How many bytes are buffered in the channel (read from the stream but not yet consumed). */
  readonly buffered: number;
}

/** What a hook receives. One context per connection; it lives until the connection closes. */
export interface ProtocolContext {
  readonly mode: Mode;
  /** The service name (`[name]` section). */
  readonly service: string;
  /** The accepted peer's address. */
  readonly peer: { readonly address: string; readonly port: number; readonly family: string };
  /** The `protocol*` options of the service. */
  readonly options: ProtocolOptions;
  /** Fires on `TIMEOUTbusy`, on shutdown or when the connection is torn down. Pass it on to any I/O you start. */
  readonly signal: AbortSignal;
  readonly log: ProtocolLogger;
  /**
   * The accepted side. Before TLS in server mode this is the raw socket; after
   * the handshake in server mode it is the decrypted TLS stream.
   */
  readonly local: Channel;
  /**
   * The upstream side, or `undefined` while it is not connected yet. In client
   * mode it is connected before `preTls` runs; in server mode it is connected
   * before `preTls` runs when the protocol has a `preTls` hook, otherwise after
   * `postTls` returns (or earlier, when the hook calls `connectRemote()`).
   */
  readonly remote: Channel | undefined;
  /**
   * Chooses the upstream before it is connected (SOCKS, routing by content).
   * Fails with `ERR_TUNNEL_REMOTE_CONNECTED` once the upstream is open.
   * Core applies its usual safety policy to the target (see the service's
   * allow rules); a refused target rejects the connection.
   */
  setTarget(target: Target): void;
  /** Connects the upstream now (idempotent) and returns its channel. */
  connectRemote(): Promise<Channel>;
  /** The peer certificate and TLS details, available from `postTls` on. */
  readonly tls: TlsInfo | undefined;
  /** A per-connection scratch space for the protocol's own state between hooks. */
  readonly state: Map<string, unknown>;
}

/** What core tells protocols about the finished TLS handshake. */
export interface TlsInfo {
  readonly protocol: string | null;
  readonly cipher: string | undefined;
  readonly servername: string | undefined;
  readonly alpnProtocol: string | false | undefined;
  /** Subject DN of the peer certificate in OpenSSL one-line form, when there is one. */
  readonly peerSubject: string | undefined;
  readonly peerIssuer: string | undefined;
}

/** A phase hook. Resolve to go on; throw to reject the connection (the error is logged with its `code`). */
export type ProtocolHook = (context: ProtocolContext) => Promise<void>;

/**
 * A protocol plugin.
 *
 * Phases (stunnel's own model):
 * - `preConnect`: first, before anything else; the upstream is not connected.
 * - `preTls`: plaintext dialogue on the socket that will carry TLS (STARTTLS,
 *   SSLRequest, CONNECT through a proxy). The upstream is connected first.
 *   When it returns, no plaintext may remain buffered on the TLS-bound side
 *   (STARTTLS injection, CVE-2011-0411): core rejects the connection.
 * - `postTls`: after the handshake, inside the encrypted channel or toward the
 *   upstream (SOCKS, SMTP AUTH, the PROXY header).
 *
 * Bytes still buffered in a channel after the last hook go to the other side
 * before any later data, in order.
 */
export interface Protocol {
  /** Equal to the `protocol =` value that selects it, lower case. */
  readonly name: string;
  /** The contract version the plugin was written for; core refuses a plugin of another major version. */
  readonly contract: number;
  /** The modes it supports; a service in another mode is a configuration error. */
  readonly modes: readonly Mode[];
  /** One line for `tunnel -help` and error messages. */
  readonly description?: string;
  /**
   * Checks the `protocol*` options once, when the service is configured.
   * Throw an Error (with a `code`) naming the option to refuse the configuration.
   */
  validate?(options: ProtocolOptions, mode: Mode): void;
  /**
   * The extension settings the plugin reads from `options.extra` (keys lower
   * case, e.g. `allowloopback` for a `protocolAllowLoopback = yes` line). A
   * configuration that writes any other `protocolX` line is refused, so no
   * setting is ever silently ignored.
   */
  readonly extraOptions?: readonly string[];
  readonly preConnect?: ProtocolHook;
  readonly preTls?: ProtocolHook;
  readonly postTls?: ProtocolHook;
}
