/** A problem found while turning a parsed configuration into running services (a file that cannot be read, an option this build refuses). */
export interface SetupIssue {
  readonly code: string;
  readonly file: string;
  readonly line: number;
  readonly option: string | undefined;
  readonly message: string;
}

/** Renders an issue the way stunnel users read config errors: `file:line: option: reason`. */
export function formatIssue(issue: SetupIssue): string {
  return issue.option === undefined
    ? `${issue.file}:${issue.line}: ${issue.message}`
    : `${issue.file}:${issue.line}: ${issue.option}: ${issue.message}`;
}

/** Every problem found while setting services up, reported together like the parser's `ConfigError`. */
export class SetupError extends Error {
  readonly code = 'ERR_TUNNEL_SETUP' as const;
  readonly issues: readonly SetupIssue[];

  constructor(issues: readonly SetupIssue[]) {
    super(`the configuration cannot be used:\n${issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`);
    this.name = 'SetupError';
    this.issues = issues;
  }
}
