import { randomUUID } from 'node:crypto';
import { PROTOCOL_CONTRACT_VERSION, type Protocol } from '@tunnel/protocol';
import { DEFAULT_TIMEOUTS } from './defaults.js';
import { TunnelError } from './errors.js';
import type { BoundLog } from './log.js';
import { type PreparedTls, prepareTls } from './tls-options.js';
import type { ConnectTarget, LogLevel, ServiceOptions, SniSlaveOptions } from './types.js';
import { createUpstream, type Upstream } from './upstream.js';

/** The per-connection side of a service (or of an SNI slave): its name, log level, TLS, upstream and redirect. */
export interface PreparedTarget {
  readonly name: string;
  readonly level: LogLevel;
  readonly tls: PreparedTls;
  readonly upstream: Upstream;
  readonly verifier: ServiceOptions['verifier'];
  readonly redirect: readonly ConnectTarget[] | undefined;
  readonly firstHost: string | undefined;
}

/** An SNI slave with its compiled pattern. */
export interface PreparedSlave extends PreparedTarget {
  matches(servername: string): boolean;
}

/** A service checked and compiled once, at configuration time. */
export interface PreparedService extends PreparedTarget {
  readonly options: ServiceOptions;
  readonly protocol: Protocol | undefined;
  readonly slaves: readonly PreparedSlave[];
  readonly timeouts: { readonly busyMs: number; readonly closeMs: number; readonly connectMs: number; readonly idleMs: number };
  nextId(): string;
  /** Start-up name resolution of the master and its slaves (engages delayed mode on failure). */
  resolve(log: BoundLog): Promise<void>;
}

let sequence = 0;

/** Compiles `*.example.com` / `host.example.com` into a case-insensitive matcher (stunnel: a leading `*` matches any prefix). */
export function sniMatcher(pattern: string): (servername: string) => boolean {
  const lower = pattern.toLowerCase();
  if (lower.startsWith('*')) {
    const suffix = lower.slice(1);
    return (name) => {
      const n = name.toLowerCase();
      return n.length > suffix.length && n.endsWith(suffix);
    };
  }
  return (name) => name.toLowerCase() === lower;
}

function checkProtocol(protocol: Protocol, options: ServiceOptions): void {
  const service = options.name;
  if (Math.trunc(protocol.contract) !== PROTOCOL_CONTRACT_VERSION) {
    throw new TunnelError(
      'ERR_TUNNEL_PROTOCOL_CONTRACT',
      `Service [${service}]: protocol "${protocol.name}" was written for contract ${protocol.contract}; this core implements contract ${PROTOCOL_CONTRACT_VERSION}`,
      { service, option: 'protocol' },
    );
  }
  if (!protocol.modes.includes(options.mode)) {
    throw new TunnelError(
      'ERR_TUNNEL_PROTOCOL_MODE',
      `Service [${service}]: protocol "${protocol.name}" supports ${protocol.modes.join(' and ')} mode only, not ${options.mode} mode`,
      { service, option: 'protocol' },
    );
  }
  protocol.validate?.(options.protocolOptions ?? {}, options.mode);
}

function seconds(value: number | undefined, fallback: number, option: string, service: string): number {
  const s = value ?? fallback;
  if (!Number.isFinite(s) || s < 0)
    throw new TunnelError('ERR_TUNNEL_CONFIG', `Service [${service}]: ${option} must be a number of seconds >= 0`, { service, option });
  return Math.round(s * 1000);
}

function targetOf(name: string, options: SniSlaveOptions | ServiceOptions, mode: 'client' | 'server'): PreparedTarget {
  const first = options.connect.find((t): t is { host: string; port: number } => 'host' in t);
  return {
    name,
    level: options.debug ?? 5,
    tls: prepareTls(options, mode, name),
    upstream: createUpstream(options, name, 'hooks' in options ? options.hooks : undefined),
    verifier: options.verifier,
    redirect: options.redirect,
    firstHost: first?.host,
  };
}

/** Checks and compiles one service. Throws `TunnelError` naming the service and option on a refused configuration. */
export function prepareService(options: ServiceOptions): PreparedService {
  const service = options.name;
  if (options.mode !== 'client' && options.mode !== 'server') {
    throw new TunnelError('ERR_TUNNEL_CONFIG', `Service [${service}]: mode must be client or server`, { service, option: 'client' });
  }
  if (options.protocol !== undefined) checkProtocol(options.protocol, options);
  if (options.mode === 'client' && (options.sniServices?.length ?? 0) > 0) {
    throw new TunnelError('ERR_TUNNEL_CONFIG', `Service [${service}]: SNI slave services need a server-mode master`, {
      service,
      option: 'sni',
    });
  }
  if (options.mode === 'client' && (options.redirect?.length ?? 0) > 0) {
    throw new TunnelError('ERR_TUNNEL_CONFIG', `Service [${service}]: redirect works in server mode only`, { service, option: 'redirect' });
  }
  if (
    options.connect.length === 0 &&
    options.exec === undefined &&
    options.protocol?.postTls === undefined &&
    options.protocol?.preConnect === undefined
  ) {
    throw new TunnelError('ERR_TUNNEL_CONFIG', `Service [${service}]: no connect target (and no protocol that chooses one)`, {
      service,
      option: 'connect',
    });
  }
  const timeouts = {
    busyMs: seconds(options.timeouts?.busy, DEFAULT_TIMEOUTS.busy, 'TIMEOUTbusy', service),
    closeMs: seconds(options.timeouts?.close, DEFAULT_TIMEOUTS.close, 'TIMEOUTclose', service),
    connectMs: seconds(options.timeouts?.connect, DEFAULT_TIMEOUTS.connect, 'TIMEOUTconnect', service),
    idleMs: seconds(options.timeouts?.idle, DEFAULT_TIMEOUTS.idle, 'TIMEOUTidle', service),
  };
  const master = targetOf(service, options, options.mode);
  const slaves: PreparedSlave[] = (options.sniServices ?? []).map((sni) => ({
    ...targetOf(sni.service.name, sni.service, 'server'),
    matches: sniMatcher(sni.pattern),
  }));
  const logId = options.logId ?? 'sequential';
  return {
    ...master,
    options,
    protocol: options.protocol,
    slaves,
    timeouts,
    nextId: () => {
      sequence += 1;
      if (logId === 'unique') return randomUUID();
      if (logId === 'process') return String(process.pid);
      return String(sequence);
    },
    async resolve(log) {
      await master.upstream.resolve(log);
      for (const slave of slaves) await slave.upstream.resolve(log);
    },
  };
}
