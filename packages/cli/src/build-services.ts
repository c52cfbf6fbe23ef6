import type { Address, Config, Location, ServiceConfig } from '@tunnel/config-parser';
import type {
  AcceptAddress,
  ConnectionHooks,
  ConnectTarget,
  LogLevel,
  PeerVerifier,
  ServiceOptions,
  SniService,
  SniSlaveOptions,
} from '@tunnel/core';
import { connectionHooks, type PolicyEnvironment, policyEnvironment } from './connection-policy.js';
import type { Protocol, ProtocolOptions } from '@tunnel/protocol';
import { refusalOf } from './option-status.js';
import { execOptions } from './exec.js';
import { SetupError, type SetupIssue } from './setup-error.js';
import { tlsExtraOptions } from './tls-extras.js';
import { type SessionSetupError, sessionOptions } from './sessions.js';

/** What `buildServices` needs from the outside world (files, plugins, certificate policy); tests pass their own. */
export interface BuildEnvironment {
  /** Reads a file named by the configuration (certificates, keys). */
  readFile(path: string): Buffer;
  /** Resolves `protocol = NAME` to a plugin value; throws an Error with a message that says why not. */
  resolveProtocol(name: string): Promise<Protocol>;
  /** Builds the service's certificate policy, or undefined when it asks for none. Throws an Error (with `option` when known). */
  createVerifier(service: ServiceConfig): Promise<PeerVerifier | undefined>;
  /** Where libwrap tables and identd are found (default: the system's). */
  readonly policy?: PolicyEnvironment;
}

/** One service, ready for `@tunnel/core`, with where it came from (for later errors such as a port in use). */
export interface BuiltService {
  readonly options: ServiceOptions;
  readonly config: ServiceConfig;
}

interface Parts {
  readonly config: ServiceConfig;
  readonly slave: SniSlaveOptions;
  readonly rest: Omit<ServiceOptions, keyof SniSlaveOptions>;
}

/**
 * Turns a parsed configuration into `@tunnel/core` services: reads the
 * certificate files, resolves protocols, builds verifiers, attaches SNI slave
 * sections to their master, and refuses (with file:line) every option this
 * build does not carry out. All problems are reported together.
 */
export async function buildServices(config: Config, environment: BuildEnvironment): Promise<BuiltService[]> {
  const issues: SetupIssue[] = [];
  const report = (service: ServiceConfig, option: string | undefined, code: string, message: string, at?: Location) => {
    const where: Location = at ?? (option === undefined ? undefined : service.locations[option]) ?? service.location;
    issues.push({ code, file: where.file, line: where.line, option, message });
  };

  const parts: Parts[] = [];
  for (const service of config.services) {
    for (const option of Object.keys(service.locations)) {
      const why = refusalOf(option, (service as unknown as Record<string, unknown>)[option]);
      if (why !== undefined) report(service, option, 'ERR_TUNNEL_OPTION_REFUSED', why);
    }
    const part = await buildParts(service, config, environment, (option, code, message, at) => report(service, option, code, message, at));
    if (part !== undefined) parts.push(part);
  }

  const slavesByMaster = new Map<string, SniService[]>();
  for (const part of parts) {
    const sni = part.config.sni;
    if (sni?.kind !== 'slave') continue;
    const master = parts.find((candidate) => candidate.config.name === sni.parent);
    if (master === undefined || master.config.sni?.kind === 'slave') {
      report(part.config, 'sni', 'ERR_TUNNEL_SNI_MASTER', `no service named [${sni.parent}] to act as the SNI master of this service`);
      continue;
    }
    if (master.config.client) {
      report(
        part.config,
        'sni',
        'ERR_TUNNEL_SNI_MASTER',
        `[${sni.parent}] is a client-mode service; SNI slave services need a server-mode master`,
      );
      continue;
    }
    if (part.rest.hooks !== undefined) {
      // Admission and socket policy run before TLS picks a slave: they belong to the master that accepted the connection.
      report(
        part.config,
        'sni',
        'ERR_TUNNEL_SNI_POLICY',
        `libwrap, ident, socket and transparent act before SNI chooses a service; set them in [${sni.parent}]`,
      );
      continue;
    }
    const list = slavesByMaster.get(sni.parent) ?? [];
    for (const pattern of sni.patterns) list.push({ pattern, service: part.slave });
    slavesByMaster.set(sni.parent, list);
  }

  if (issues.length > 0) throw new SetupError(issues);

  return parts
    .filter((part) => part.config.sni?.kind !== 'slave')
    .map((part) => ({
      config: part.config,
      options: { ...part.slave, ...part.rest, sniServices: slavesByMaster.get(part.config.name) } satisfies ServiceOptions,
    }));
}

async function buildParts(
  service: ServiceConfig,
  config: Config,
  environment: BuildEnvironment,
  report: (option: string | undefined, code: string, message: string, at?: Location) => void,
): Promise<Parts | undefined> {
  const mode = service.client ? 'client' : 'server';
  const before = { count: 0 };
  const fail = (option: string | undefined, code: string, message: string, at?: Location) => {
    before.count += 1;
    report(option, code, message, at);
  };

  const read = (option: 'cert' | 'key', path: string | undefined): Buffer | undefined => {
    if (path === undefined) return undefined;
    try {
      return environment.readFile(path);
    } catch (error) {
      fail(option, 'ERR_TUNNEL_FILE_UNREADABLE', `cannot read ${path}: ${(error as Error).message}`);
      return undefined;
    }
  };
  const cert = read('cert', service.cert);
  const key = read('key', service.key);

  for (const option of ['sslVersion', 'sslVersionMin', 'sslVersionMax'] as const) {
    const value = service[option];
    if (value === 'SSLv2' || value === 'SSLv3') {
      fail(option, 'ERR_TUNNEL_SSL_VERSION_REFUSED', `${value} is broken and not offered by OpenSSL 3; use TLSv1.2 or TLSv1.3`);
    }
  }

  let protocol: Protocol | undefined;
  const protocolOptions: ProtocolOptions = {
    host: service.protocolHost,
    authentication: service.protocolAuthentication,
    username: service.protocolUsername,
    password: service.protocolPassword,
    domain: service.protocolDomain,
    headers: service.protocolHeader,
    extra: service.protocolExtra,
  };
  const extensionLine = (key: string) => Object.keys(service.locations).find((option) => option.toLowerCase() === `protocol${key}`);
  if (service.protocol !== undefined) {
    try {
      protocol = await environment.resolveProtocol(service.protocol);
      if (!protocol.modes.includes(mode)) {
        fail(
          'protocol',
          'ERR_TUNNEL_PROTOCOL_MODE',
          `protocol ${protocol.name} works in ${protocol.modes.join(' and ')} mode only, and this service is in ${mode} mode`,
        );
      } else {
        for (const key of Object.keys(service.protocolExtra)) {
          if (!(protocol.extraOptions ?? []).includes(key)) {
            fail(extensionLine(key), 'ERR_TUNNEL_PROTOCOL_OPTION', `protocol ${protocol.name} reads no such setting`);
          }
        }
        protocol.validate?.(protocolOptions, mode);
      }
    } catch (error) {
      fail(
        (error as { option?: string }).option ?? 'protocol',
        (error as { code?: string }).code ?? 'ERR_TUNNEL_PROTOCOL',
        (error as Error).message,
      );
    }
  }

  if (service.protocol === undefined) {
    for (const key of Object.keys(service.protocolExtra)) {
      fail(extensionLine(key), 'ERR_TUNNEL_PROTOCOL_OPTION', 'is a protocol extension setting, and this service has no protocol');
    }
  }

  let verifier: PeerVerifier | undefined;
  try {
    verifier = await environment.createVerifier(service);
  } catch (error) {
    fail(
      (error as { option?: string }).option ?? 'verify',
      (error as { code?: string }).code ?? 'ERR_TUNNEL_VERIFY_SETUP',
      (error as Error).message,
    );
  }

  let hooks: ConnectionHooks | undefined;
  try {
    hooks = connectionHooks(service, environment.policy ?? policyEnvironment());
  } catch (error) {
    fail('socket', (error as { code?: string }).code ?? 'ERR_TUNNEL_SOCKET_OPTION', (error as Error).message);
  }

  // sessionCacheSize, sessionCacheTimeout, sessionResume, sessiond, ticketKeySecret/ticketMacSecret (sessions.ts).
  const sessions = await sessionOptions(service).catch((error: SessionSetupError) => void fail(error.option, error.code, error.message));

  // PKCS#12 cert, PSKsecrets/PSKidentity, config = commands, securityLevel with PSK, alpn/connectALPN (tls-extras.ts).
  const extras = tlsExtraOptions(service, { cert, readFile: (path) => environment.readFile(path) }, fail);

  if (before.count > 0) return undefined;

  const ciphers =
    service.securityLevel === undefined ? service.ciphers : `${service.ciphers ?? 'DEFAULT'}:@SECLEVEL=${service.securityLevel}`;
  const slave: SniSlaveOptions = {
    name: service.name,
    debug: service.debug.level as LogLevel,
    cert,
    key,
    ciphers,
    ciphersuites: service.ciphersuites,
    // The 5.28 manual's default; 5.68 offers X25519 first (see docs/differences.md).
    curve: service.curves ?? 'prime256v1',
    sslVersion: service.sslVersion,
    sslVersionMin: service.sslVersionMin as SniSlaveOptions['sslVersionMin'],
    sslVersionMax: service.sslVersionMax as SniSlaveOptions['sslVersionMax'],
    options: service.options,
    renegotiation: service.renegotiation,
    sessionCacheTimeout: service.sessionCacheTimeout,
    ...sessions,
    ...extras.tls,
    verifier,
    connect: service.connect.map(toConnectTarget),
    failover: service.failover,
    delay: service.delay,
    local: service.local,
    redirect: service.redirect.map(toConnectTarget),
    exec: execOptions(service, config.globals.foreground),
  };
  const rest: Parts['rest'] = {
    mode,
    accept: service.accept.map(toAcceptAddress),
    sni: service.sni?.kind === 'client' ? service.sni.name : undefined,
    timeouts: { busy: service.TIMEOUTbusy, close: service.TIMEOUTclose, connect: service.TIMEOUTconnect, idle: service.TIMEOUTidle },
    reset: service.reset,
    protocol,
    protocolOptions,
    compression: config.globals.compression,
    logId: service.logId,
    hooks,
    alpnRoutes: extras.alpnRoutes,
    maxConnections: service.maxConnections,
    connectionRate: service.connectionRate,
  };
  return { config: service, slave, rest };
}

/** `accept = PORT` listens on all IPv4 addresses, as the manual says (write `:::PORT` for IPv6); a path is a Unix socket. */
export function toAcceptAddress(address: Address): AcceptAddress {
  if (address.kind === 'unix') return { path: address.path };
  return { host: address.host ?? '0.0.0.0', port: address.port };
}

/** `connect = PORT` means this host, as in stunnel. */
export function toConnectTarget(address: Address): ConnectTarget {
  if (address.kind === 'unix') return { path: address.path };
  return { host: address.host ?? 'localhost', port: address.port };
}
