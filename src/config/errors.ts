/** Config problems, each with the file, the path inside it and line:column where known. */
export type ConfigPath = readonly (string | number)[];

export interface ConfigIssue {
  path: ConfigPath;
  message: string;
  line?: number;
  column?: number;
}

/** `apis[0].routes[3].route` */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out || '(root)';
}

export class ConfigError extends Error {
  readonly code = 'GW_ERR_CONFIG_INVALID';
  readonly file: string;
  readonly issues: readonly ConfigIssue[];

  constructor(file: string, unsorted: readonly ConfigIssue[]) {
    // In file order, whichever pass found them.
    const issues = [...unsorted].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    const lines = issues.map((i) => `  ${formatIssue(file, i)}`);
    super(
      issues.length === 1
        ? formatIssue(file, issues[0] as ConfigIssue)
        : `${file}: ${issues.length} errors in config\n${lines.join('\n')}`,
    );
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
  }
}

export function formatIssue(file: string, issue: ConfigIssue): string {
  const where = issue.line ? `${file}:${issue.line}:${issue.column ?? 1}` : file;
  return issue.path.length ? `${where} ${formatPath(issue.path)}: ${issue.message}` : `${where}: ${issue.message}`;
}
