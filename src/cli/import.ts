import { readFile, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadConfigText } from '../config/load.js';
import { importCloudFormation } from '../import/cloudformation.js';
import { placeholderKeyEnv } from '../import/keys-plans.js';
import { importOpenApi } from '../import/openapi.js';
import type { ImportReport } from '../import/report.js';
import { createLogger } from '../logger.js';
import { createRuntimeDeps } from '../pipeline/policy.js';
import { compileSnapshot } from '../pipeline/snapshot.js';
import { PoolRegistry } from '../proxy/pools.js';
import { keyValues, parseCommandArgs, UsageError } from './args.js';
import type { Io } from './commands.js';

const FORMATS = ['openapi', 'cloudformation'];

/**
 * `portico import openapi|cloudformation FILE [--out F] [--param k=v ...] [--vpc-link ID=URL ...]
 * [--authorizer-function ID=FILE#EXPORT ...] [--jwks ID=URL ...] [--strict]` (+ `--stage/--type/--name` for openapi, `--resource Logical.Attr=value` for
 * cloudformation): writes our config (stdout by default) and the report of what could not be mapped
 * (stderr). The result is validated and compiled before it is written.
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
      'authorizer-function': { type: 'string', multiple: true },
      jwks: { type: 'string', multiple: true },
      resource: { type: 'string', multiple: true },
      strict: { type: 'boolean' },
    },
    ['FILE'],
  );
  const only = (flag: string, fmt: string) => {
    if ((values as Record<string, unknown>)[flag] !== undefined && format !== fmt) {
      throw new UsageError(`portico ${command}: --${flag} is for \`portico import ${fmt}\``);
    }
  };
  for (const f of ['stage', 'type', 'name']) only(f, 'openapi');
  only('resource', 'cloudformation');
  if (values.type !== undefined && values.type !== 'rest' && values.type !== 'http') {
    throw new UsageError(`portico ${command}: --type expects rest or http, got "${values.type}"`);
  }
  const file = positionals[0] as string;
  const auth = { authorizerFunctions: authorizerFunctions(command, values['authorizer-function'], values.out), jwks: keyValues(command, 'jwks', values.jwks) };
  for (const [id, url] of Object.entries(auth.jwks)) {
    if (!/^https?:\/\/[^/]/.test(url)) throw new UsageError(`portico ${command}: --jwks ${id}= expects an http(s) URL, got "${url}"`);
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message}`);
  }
  let result: { config: Record<string, unknown>; report: ImportReport; env?: string[] };
  if (format === 'cloudformation') {
    try {
      result = importCloudFormation(text, {
        params: keyValues(command, 'param', values.param),
        resources: keyValues(command, 'resource', values.resource),
        vpcLinks: keyValues(command, 'vpc-link', values['vpc-link']),
        ...auth,
      });
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message.split('\n')[0]}`);
    }
    if ((result.config.apis as unknown[]).length === 0) {
      io.err(result.report.format());
      io.err(`portico ${command}: ${file} defines no API (AWS::ApiGateway::RestApi or AWS::ApiGatewayV2::Api) that can be imported; nothing written`);
      return 1;
    }
  } else {
    let doc: unknown;
    try {
      doc = parse(text, { maxAliasCount: 100 });
    } catch (err) {
      throw new Error(`${file}: not valid JSON or YAML: ${(err as Error).message.split('\n')[0]}`);
    }
    result = importOpenApi(doc, {
      params: keyValues(command, 'param', values.param),
      vpcLinks: keyValues(command, 'vpc-link', values['vpc-link']),
      ...auth,
      ...(values.stage ? { stage: values.stage } : {}),
      ...(values.type ? { type: values.type as 'rest' | 'http' } : {}),
      ...(values.name ? { name: values.name } : {}),
    });
  }
  const yaml = `# Imported by \`portico import ${format}\` from ${file}\n${stringify(result.config, { lineWidth: 0 })}`;
  // The output must be a config Portico accepts: validate and compile it before writing.
  const loaded = loadConfigText(yaml, values.out ?? '(imported config)', placeholderKeyEnv(result.env ?? []));
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

/**
 * `--authorizer-function ID=./auth.js#handler`: the module path is given from the current directory; the config
 * reads it relative to itself, so it is rewritten relative to --out.
 */
function authorizerFunctions(command: string, values: readonly string[] | undefined, out: string | undefined): Record<string, string> {
  const map = keyValues(command, 'authorizer-function', values);
  for (const [id, spec] of Object.entries(map)) {
    const m = /^([^#]+)(#[A-Za-z_$][A-Za-z0-9_$]*)?$/.exec(spec);
    if (!m) throw new UsageError(`portico ${command}: --authorizer-function ${id}= expects FILE.js#export, got "${spec}"`);
    const file = m[1] as string;
    if (out && !isAbsolute(file)) {
      const rel = relative(dirname(resolve(out)), resolve(file));
      map[id] = `${rel.startsWith('.') ? rel : `./${rel}`}${m[2] ?? '#handler'}`;
    } else map[id] = `${file}${m[2] ?? '#handler'}`;
  }
  return map;
}
