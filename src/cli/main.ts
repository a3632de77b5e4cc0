#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { UsageError } from './args.js';
import { describeFailure, type Io, reloadCommand, routesCommand, startCommand, validateCommand } from './commands.js';
import { demoCommand } from './demo.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { invokeCommand } from './invoke.js';
import { COMMAND_HELP, MAIN_HELP } from './help.js';
import { featureCommands, loadConfigFile } from '../features.js';
import type { CliCommand } from '../kernel/cli.js';

/** The core's commands, then each feature's (src/features.ts). */
const COMMANDS: Record<string, CliCommand> = {
  start: startCommand,
  validate: validateCommand,
  routes: routesCommand,
  reload: reloadCommand,
  ...featureCommands(),
  demo: demoCommand,
  import: importCommand,
  export: exportCommand,
  invoke: invokeCommand,
};

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs the CLI; returns the exit code. Argument parsing only: every command calls the public API. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    io.out(topic && COMMAND_HELP[topic] ? COMMAND_HELP[topic] : MAIN_HELP);
    return 0;
  }
  if (command === '-v' || command === '--version') {
    io.out(version());
    return 0;
  }
  const run = COMMANDS[command];
  try {
    if (!run)
      throw new UsageError(
        `portico: unknown command "${command}" (commands: ${Object.keys(COMMANDS).join(', ')}; see 'portico --help')`,
      );
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(COMMAND_HELP[command] as string);
      return 0;
    }
    return await run(rest, io);
  } catch (err) {
    io.err(err instanceof UsageError ? err.message : describeFailure(err));
    return err instanceof UsageError ? 2 : 1;
  }
}

const io: Io = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  env: process.env,
  readConfig: (file) => loadConfigFile(file, process.env),
};
main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`portico: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  },
);
