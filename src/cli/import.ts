import { readFile, writeFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import { loadConfigText } from '../config/load.js';
import { importOpenApi } from '../import/openapi.js';
import { createLogger } from '../logger.js';
import { createRuntimeDeps } from '../pipeline/policy.js';
import { compileSnapshot } from '../pipeline/snapshot.js';
import { PoolRegistry } from '../proxy/pools.js';
import { keyValues, parseCommandArgs, UsageError } from './args.js';
import type { Io } from './commands.js';

const FORMATS = ['openapi'];

/**
 * `portico import openapi FILE [--out F] [--param k=v ...] [--stage S] [--type rest|http] [--name N]
 * [--vpc-link ID=URL ...] [--strict]`: writes our config (stdout by default) and the report of what
 * could not be mapped (stderr). The result is validated before it is written.
 */
export async function importCommand(argv: string[], io: Io): Promise<number> {
  const [format, ...rest] = argv;
  if (!format || !FORMATS.includes(format)) {
    throw new UsageError(`portico import: expected a format (${FORMATS.join(', ')}), got ${format ? `"${format}"` : 'none'} (see 'portico import --help')`);
  }
  const command = `import ${format}`;
  const { values, positionals } = parseCommandArgs(
    command,
    rest,
    {
      out: { type: 'string', short: 'o' },
      param: { type: 'string', multiple: true },
      stage: { type: 'string' },
      type: { type: 'string' },
      name: { type: 'string' },
      'vpc-link': { type: 'string', multiple: true },
      strict: { type: 'boolean' },
    },
    ['FILE'],
  );
  if (values.type !== undefined && values.type !== 'rest' && values.type !== 'http') {
    throw new UsageError(`portico ${command}: --type expects rest or http, got "${values.type}"`);
  }
  const file = positionals[0] as string;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new Error(`${file}: not valid JSON or YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const result = importOpenApi(doc, {
    params: keyValues(command, 'param', values.param),
    vpcLinks: keyValues(command, 'vpc-link', values['vpc-link']),
    ...(values.stage ? { stage: values.stage } : {}),
    ...(values.type ? { type: values.type as 'rest' | 'http' } : {}),
    ...(values.name ? { name: values.name } : {}),
  });
  const yaml = `# Imported by \`portico import openapi\` from ${file}\n${stringify(result.config, { lineWidth: 0 })}`;
  // The output must be a config Portico accepts: validate and compile it before writing.
  const loaded = loadConfigText(yaml, values.out ?? '(imported config)', {});
  const pools = new PoolRegistry();
  try {
    compileSnapshot(loaded, { runtime: createRuntimeDeps({ pools, log: createLogger('silent') }), revision: 1 });
  } finally {
    await pools.close();
  }
  io.err(result.report.format());
  if (values.strict && result.report.hasUnsupported) {
    io.err(`portico ${command}: --strict: ${result.report.notes.filter((n) => n.level === 'unsupported').length} unsupported feature(s); nothing written`);
    return 1;
  }
  if (values.out) {
    await writeFile(values.out, yaml);
    io.err(`wrote ${values.out}`);
  } else io.out(yaml.trimEnd());
  return 0;
}
