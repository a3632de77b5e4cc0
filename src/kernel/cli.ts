/** Where a CLI command writes, and the environment it reads. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
}

/** One `portico <name>` command: takes the arguments after its name, returns the exit code. */
export type CliCommand = (argv: string[], io: Io) => Promise<number>;
