/** The protocols of the stunnel manual; each lives in its own package `@tunnel/proto-NAME`, loaded only when a service uses it. */
export const BUILTIN_PROTOCOL_NAMES = ['cifs', 'connect', 'imap', 'nntp', 'pgsql', 'pop3', 'proxy', 'smtp', 'socks'] as const;

/** Loaders of the built-in protocol modules, by `protocol =` name; `proxy-receive` is our extension (PROXY header in). */
export const BUILTIN_PROTOCOLS: ReadonlyMap<string, () => Promise<{ protocol?: unknown }>> = new Map([
  ...BUILTIN_PROTOCOL_NAMES.map((name) => [name, () => import(`@tunnel/proto-${name}`) as Promise<{ protocol?: unknown }>] as const),
  ['proxy-receive', () => import('@tunnel/proto-proxy/receive') as Promise<{ protocol?: unknown }>] as const,
]);
