/** Every code a single configuration problem can carry (each is in the README's Errors table). */
export type ConfigIssueCode =
  | 'ERR_TUNNEL_CONFIG_SYNTAX'
  | 'ERR_TUNNEL_CONFIG_UNKNOWN_OPTION'
  | 'ERR_TUNNEL_CONFIG_WRONG_SECTION'
  | 'ERR_TUNNEL_CONFIG_WIN32_ONLY'
  | 'ERR_TUNNEL_CONFIG_MISSING_VALUE'
  | 'ERR_TUNNEL_CONFIG_INVALID_VALUE'
  | 'ERR_TUNNEL_CONFIG_INCLUDE_LOOP'
  | 'ERR_TUNNEL_CONFIG_INCLUDE_UNREADABLE'
  | 'ERR_TUNNEL_CONFIG_ENDPOINTS'
  | 'ERR_TUNNEL_CONFIG_NO_CERT'
  | 'ERR_TUNNEL_CONFIG_NO_CA'
  | 'ERR_TUNNEL_CONFIG_NEEDS_VERIFY'
  | 'ERR_TUNNEL_CONFIG_SNI'
  | 'ERR_TUNNEL_CONFIG_TICKET_KEYS'
  | 'ERR_TUNNEL_CONFIG_TOO_LARGE';

/** Where and what: one problem found in a configuration file. */
export interface ConfigIssueInit {
  code: ConfigIssueCode;
  file: string;
  line: number;
  option?: string | undefined;
  message: string;
}

/**
 * One problem in a configuration file. `toString()` gives `file:line: option: reason` (the option part is left out for
 * problems that are not about one option, such as a syntax error).
 */
export class ConfigIssue {
  readonly code: ConfigIssueCode;
  readonly file: string;
  readonly line: number;
  readonly option: string | undefined;
  readonly message: string;

  constructor(init: ConfigIssueInit) {
    this.code = init.code;
    this.file = init.file;
    this.line = init.line;
    this.option = init.option;
    this.message = init.message;
  }

  toString(): string {
    return this.option === undefined
      ? `${this.file}:${this.line}: ${this.message}`
      : `${this.file}:${this.line}: ${this.option}: ${this.message}`;
  }
}

/**
 * Thrown by `parseConfig`/`loadConfig` when a configuration is refused. It carries every problem found (the parser does
 * not stop at the first one), sorted in reading order. Match on `code` (always `ERR_TUNNEL_CONFIG`), then on each issue's `code`.
 */
export class ConfigError extends Error {
  readonly code = 'ERR_TUNNEL_CONFIG' as const;
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    const head = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(`invalid configuration (${head}):\n${issues.map((issue) => `  ${issue.toString()}`).join('\n')}`, options);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
