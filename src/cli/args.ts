import { parseArgs, type ParseArgsConfig } from 'node:util';

type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O & { help: { type: 'boolean'; short: 'h' } }; strict: true; allowPositionals: false }>>;

/** A usage problem: printed as one line, exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Strict parsing: unknown flags, missing values and stray arguments are UsageErrors naming the command. */
export function parseCommandArgs<O extends Options>(command: string, argv: string[], options: O): Parsed<O> {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }) as Parsed<O>;
  } catch (err) {
    const e = err as Error & { code?: string };
    let msg = e.message.split('\n')[0] ?? e.message;
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') msg = `unknown option ${/'([^']+)'/.exec(msg)?.[1] ?? msg}`;
    else if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') msg = `unexpected argument ${/'([^']+)'/.exec(msg)?.[1] ?? msg}`;
    throw new UsageError(`portico ${command}: ${msg} (see 'portico ${command} --help')`);
  }
}
