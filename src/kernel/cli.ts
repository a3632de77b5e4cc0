/** Where a CLI command writes, and the environment it reads. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  /**
   * Reads and validates a config file (the CLI binds it to the root schema), for commands that need
   * the gateway's dataDir or admin token without importing the composition root.
   */
  readConfig?(
    file: string,
  ): Promise<{ dir: string; config: { dataDir: string; admin: { token?: string | undefined } } }>;
}

/** One `portico <name>` command: takes the arguments after its name, returns the exit code. */
export type CliCommand = (argv: string[], io: Io) => Promise<number>;
