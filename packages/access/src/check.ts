import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { AccessError } from './errors.js';
import { type HostLookups, resolveHostname } from './hostname.js';
import { type AccessDecision, evaluateAccess, needsHostname, normalizeAddress } from './match.js';
import { limits, parseHostsTable } from './parse.js';
import type { AccessRule } from './rules.js';

/** Where the two tables live; the defaults are tcp_wrappers' own. */
export interface AccessFiles {
  readonly allow?: string;
  readonly deny?: string;
}

/** Reads and parses one table; a missing file is an empty table (hosts_access(5)). */
export async function loadHostsTable(file: string): Promise<AccessRule[]> {
  let text: string;
  try {
    const buffer = await readFile(file);
    if (buffer.length > limits.maxFileBytes)
      throw new AccessError('ERR_TUNNEL_ACCESS_TOO_LARGE', `table larger than ${limits.maxFileBytes} bytes`, { file });
    text = buffer.toString('utf8');
  } catch (error) {
    if (error instanceof AccessError) throw error;
    if ((error as { code?: string }).code === 'ENOENT') return [];
    throw new AccessError('ERR_TUNNEL_ACCESS_FILE', `cannot read access table: ${(error as Error).message}`, { file, cause: error });
  }
  return parseHostsTable(text, file);
}

/** Reads both tables (default /etc/hosts.allow and /etc/hosts.deny). */
export async function loadHostsTables(files: AccessFiles = {}): Promise<{ allow: AccessRule[]; deny: AccessRule[] }> {
  const [allow, deny] = await Promise.all([
    loadHostsTable(files.allow ?? '/etc/hosts.allow'),
    loadHostsTable(files.deny ?? '/etc/hosts.deny'),
  ]);
  return { allow, deny };
}

/** Options of {@link checkAccess}. */
export interface CheckAccessOptions {
  /** The daemon name rules are matched against: the stunnel service name (`[section]`). */
  readonly daemon: string;
  /** The client's IP address. */
  readonly address: string;
  /** A host name the caller already verified; `null` means "known to be unknown"; absent means look it up if a rule needs it. */
  readonly hostname?: string | null;
  /** Table files; read on every call, like libwrap, so edits apply to the next connection. */
  readonly files?: AccessFiles;
  /** Already-parsed tables instead of files. */
  readonly tables?: { readonly allow: readonly AccessRule[]; readonly deny: readonly AccessRule[] };
  /** Lookups for the host name (default: the C library, /etc/hosts then DNS). */
  readonly lookups?: HostLookups;
  /** Time limit for the host name lookups, default 5000 ms; past it the name counts as unknown. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** The decision plus the facts it was based on, for logging. */
export interface CheckAccessResult extends AccessDecision {
  readonly hostname: string | undefined;
  readonly paranoid: boolean;
}

/**
 * `libwrap = yes`: decides whether `address` may use service `daemon` according to hosts.allow and
 * hosts.deny. Looks the client's host name up (reverse + forward-confirmed, time-limited) only when a
 * rule for this daemon needs it. Rejects with an {@link AccessError} when a table cannot be read or
 * evaluated faithfully; the caller must then refuse the connection (fail closed).
 */
export async function checkAccess(options: CheckAccessOptions): Promise<CheckAccessResult> {
  if (isIP(options.address) === 0)
    throw new AccessError('ERR_TUNNEL_ACCESS_BAD_ADDRESS', `not an IP address: ${JSON.stringify(options.address)}`);
  const tables = options.tables ?? (await loadHostsTables(options.files));
  const address = normalizeAddress(options.address);
  let facts: { hostname: string | undefined; paranoid: boolean } = { hostname: undefined, paranoid: false };
  if (typeof options.hostname === 'string') {
    facts = { hostname: options.hostname.toLowerCase(), paranoid: false };
  } else if (
    options.hostname === undefined &&
    (needsHostname(tables.allow, options.daemon) || needsHostname(tables.deny, options.daemon))
  ) {
    facts = await resolveHostname(address, { lookups: options.lookups, timeoutMs: options.timeoutMs, signal: options.signal });
  }
  return { ...evaluateAccess(tables, options.daemon, { address, ...facts }), ...facts };
}
