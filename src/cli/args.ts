import { parseArgs, type ParseArgsConfig } from 'node:util';

type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{
    args: string[];
    options: O & { help: { type: 'boolean'; short: 'h' } };
    strict: true;
    allowPositionals: true;
  }>
>;

/** A usage problem: printed as one line, exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Strict parsing: unknown flags, missing values and stray arguments are UsageErrors naming the command.
 * `positionals` names the positional arguments the command takes (all required), e.g. ['FILE']; a last
 * name ending in "..." takes one or more (['FILE...']).
 */
export function parseCommandArgs<O extends Options>(
  command: string,
  argv: string[],
  options: O,
  positionals: readonly string[] = [],
): Parsed<O> {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: positionals.length > 0,
    }) as Parsed<O>;
  } catch (err) {
    const e = err as Error & { code?: string };
    let msg = e.message.split('\n')[0] ?? e.message;
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') msg = `unknown option ${/'([^']+)'/.exec(msg)?.[1] ?? msg}`;
    else if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
      msg = `unexpected argument ${/'([^']+)'/.exec(msg)?.[1] ?? msg}`;
    throw new UsageError(`portico ${command}: ${msg} (see 'portico ${command} --help')`);
  }
  const got = parsed.positionals ?? [];
  if (got.length < positionals.length) {
    throw new UsageError(
      `portico ${command}: missing ${positionals.slice(got.length).join(' ')} (see 'portico ${command} --help')`,
    );
  }
  if (got.length > positionals.length && !positionals[positionals.length - 1]?.endsWith('...')) {
    throw new UsageError(
      `portico ${command}: unexpected argument ${got[positionals.length]} (see 'portico ${command} --help')`,
    );
  }
  return parsed;
}

/** `--param k=v` values → a record; a value without "=" is a UsageError. */
export function keyValues(
  command: string,
  flag: string,
  values: readonly string[] | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`portico ${command}: --${flag} expects NAME=VALUE, got "${v}"`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}
