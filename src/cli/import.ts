import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadConfigText, compileConfig } from '../features.js';
import { type CfnStack, importCloudFormationStacks } from '../import/cfn-stacks.js';
import { placeholderKeyEnv } from '../import/keys-plans.js';
import { importOpenApi } from '../import/openapi.js';
import { checkOpenApi, formatOpenApiErrors } from '../import/openapi-validate.js';
import { HANDLER_REF } from '../functions/schema.js';
import type { ImportReport } from '../import/report.js';
import { createLogger } from '../logger.js';
import { createRuntimeDeps } from '../pipeline/policy.js';
import { PoolRegistry } from '../forward/pools.js';
import { keyValues, parseCommandArgs, UsageError } from './args.js';
import type { Io } from './commands.js';

const FORMATS = ['openapi', 'cloudformation'];

/**
 * `portico import openapi|cloudformation FILE [--out F] [--param k=v ...] [--vpc-link ID=URL ...]
 * [--authorizer-function ID=FILE#EXPORT ...] [--jwks ID=URL ...] [--function NAME=./f.js#export ...] [--allow-partial] [--strict]`
 * (+ `--stage/--type/--name/--backend` for openapi, `--resource Logical.Attr=value` and `--code-root DIR` for cloudformation):
 * writes our config (stdout by default) and the report of what could not be mapped (stderr). The result is validated and
 * compiled before it is written; an import that left a route out, or mapped none, is refused unless --allow-partial.
 */
export async function importCommand(argv: string[], io: Io): Promise<number> {
  const [format, ...rest] = argv;
  if (!format || !FORMATS.includes(format)) {
    throw new UsageError(
      `portico import: expected a format (${FORMATS.join(', ')}), got ${format ? `"${format}"` : 'none'} (see 'portico import --help')`,
    );
  }
  const command = `import ${format}`;
  const { values, positionals } = parseImportArgs(command, format, rest);
  if (format !== 'cloudformation' && positionals.length > 1)
    throw new UsageError(
      `portico ${command}: unexpected argument ${positionals[1]} (one file; several for cloudformation)`,
    );
  const file = positionals.join(' ');
  // Handler modules are given relative to the working directory and written relative to the output file.
  const outDir = values.out ? dirname(resolve(values.out)) : process.cwd();
  const functions = functionMappings(command, values.function, outDir);
  const auth = {
    authorizerFunctions: authorizerFunctions(command, values['authorizer-function'], outDir),
    jwks: keyValues(command, 'jwks', values.jwks),
  };
  for (const [id, url] of Object.entries(auth.jwks)) {
    if (!/^https?:\/\/[^/]/.test(url))
      throw new UsageError(`portico ${command}: --jwks ${id}= expects an http(s) URL, got "${url}"`);
  }
  const texts: CfnStack[] = [];
  for (const f of positionals) {
    try {
      texts.push({ file: f, text: await readFile(f, 'utf8') });
    } catch (err) {
      throw new Error(
        `cannot read ${f}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message}`,
      );
    }
  }
  const text = (texts[0] as CfnStack).text;
  let result: ImportResult;
  if (format === 'cloudformation') {
    const imported = runCloudFormation(command, file, texts, values, { auth, functions, outDir }, io);
    if (typeof imported === 'number') return imported;
    result = imported;
  } else result = await runOpenApi(command, file, text, values, { auth, functions }, io);
  return writeImported(command, format, file, result, values, io);
}

type ImportResult = { config: Record<string, unknown>; report: ImportReport; env?: string[] };
type ImportValues = ReturnType<typeof parseImportArgs>['values'];
type Mapped = {
  auth: { authorizerFunctions: Record<string, string>; jwks: Record<string, string> };
  functions: Record<string, string>;
};

/** The flags of `portico import FORMAT`, each checked against the format it belongs to. */
function parseImportArgs(command: string, format: string, rest: string[]) {
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
      target: { type: 'string', multiple: true },
      'authorizer-function': { type: 'string', multiple: true },
      jwks: { type: 'string', multiple: true },
      resource: { type: 'string', multiple: true },
      function: { type: 'string', multiple: true },
      'code-root': { type: 'string' },
      backend: { type: 'string' },
      strict: { type: 'boolean' },
      'allow-partial': { type: 'boolean' },
    },
    ['FILE...'],
  );
  const only = (flag: string, fmt: string) => {
    if ((values as Record<string, unknown>)[flag] !== undefined && format !== fmt) {
      throw new UsageError(`portico ${command}: --${flag} is for \`portico import ${fmt}\``);
    }
  };
  for (const f of ['stage', 'type', 'name', 'backend']) only(f, 'openapi');
  only('resource', 'cloudformation');
  only('target', 'cloudformation');
  only('code-root', 'cloudformation');
  if (values.type !== undefined && values.type !== 'rest' && values.type !== 'http') {
    throw new UsageError(`portico ${command}: --type expects rest or http, got "${values.type}"`);
  }
  return { values, positionals };
}

/** `portico import cloudformation`: the result, or the exit code when the template defines no API. */
function runCloudFormation(
  command: string,
  file: string,
  texts: CfnStack[],
  values: ImportValues,
  m: Mapped & { outDir: string },
  io: Io,
): ImportResult | number {
  const { auth, functions, outDir } = m;
  let result: ImportResult;
  const codeRoot = resolve(values['code-root'] ?? dirname(resolve((texts[0] as CfnStack).file)));
  if (values['code-root'] !== undefined && !(existsSync(codeRoot) && statSync(codeRoot).isDirectory())) {
    throw new UsageError(`portico ${command}: --code-root ${values['code-root']} is not a directory`);
  }
  try {
    result = importCloudFormationStacks(texts, {
      targets: targetValues(command, values.target),
      params: keyValues(command, 'param', values.param),
      resources: keyValues(command, 'resource', values.resource),
      vpcLinks: keyValues(command, 'vpc-link', values['vpc-link']),
      ...auth,
      functions,
      resolveCode: (codeUri, module) => findModule(codeRoot, codeUri, module, outDir),
      ...(values.out
        ? { writeInlineCode: (id: string, module: string, code: string) => saveInlineCode(outDir, id, module, code) }
        : {}),
    });
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  if ((result.config.apis as unknown[]).length === 0) {
    io.err(result.report.format());
    io.err(
      `portico ${command}: ${file} defines no API (AWS::ApiGateway::RestApi or AWS::ApiGatewayV2::Api) that can be imported; nothing written`,
    );
    return 1;
  }
  return result;
}

/** `portico import openapi`: parses the document (JSON or YAML), checks its structure and imports it. */
async function runOpenApi(
  command: string,
  file: string,
  text: string,
  values: ImportValues,
  m: Mapped,
  io: Io,
): Promise<ImportResult> {
  const { auth, functions } = m;
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new Error(`${file}: not valid JSON or YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const check = await checkOpenApi(doc, resolve(file));
  if (check.errors.length) throw new Error(`${file}: ${formatOpenApiErrors(check.errors)}`);
  for (const w of check.warnings) io.err(`${file} ${w} (not valid OpenAPI; imported anyway, as AWS does)`);
  const backend = backendOption(command, values.backend);
  const result = importOpenApi(doc, {
    params: keyValues(command, 'param', values.param),
    vpcLinks: keyValues(command, 'vpc-link', values['vpc-link']),
    ...auth,
    functions,
    ...(values.stage ? { stage: values.stage } : {}),
    ...(values.type ? { type: values.type as 'rest' | 'http' } : {}),
    ...(values.name ? { name: values.name } : {}),
    ...(backend ? { backend: backend.name ?? backend.url } : {}),
  });
  if (backend?.name !== undefined) {
    const ups = (result.config.upstreams ??= {}) as Record<string, unknown>;
    ups[backend.name] = { targets: [{ url: backend.url }] };
  }
  return result;
}

/**
 * `--backend URL` (each operation proxied to URL + its path) or `--backend NAME=URL` (an upstream NAME
 * with that target, the request path forwarded as is): where a plain application document's operations go.
 */
function backendOption(command: string, value: string | undefined): { url: string; name?: string } | undefined {
  if (value === undefined) return undefined;
  const m = /^(?:([A-Za-z0-9][A-Za-z0-9_.-]{0,127})=)?(https?:\/\/[^/\s]+\S*)$/i.exec(value);
  if (!m)
    throw new UsageError(
      `portico ${command}: --backend expects an http(s) URL (http://HOST:PORT) or NAME=URL for a named upstream, got "${value}"`,
    );
  return m[1] === undefined ? { url: m[2] as string } : { name: m[1], url: m[2] as string };
}

/**
 * Routes the import left out, or an import that maps no route at all: the message saying so, or
 * undefined when the import is complete.
 */
function partialImport(command: string, result: ImportResult): string | undefined {
  const apis = result.config.apis as { routes: unknown[] }[];
  const routes = apis.reduce((n, a) => n + a.routes.length, 0);
  const left = result.report.leftOut;
  if (routes > 0 && !left.length) return undefined;
  const lines = [
    routes === 0
      ? `portico ${command}: no route could be imported${left.length ? '' : ' (the document defines no operation)'}; nothing written`
      : `portico ${command}: ${left.length} route${left.length === 1 ? '' : 's'} left out (${routes} imported); nothing written`,
  ];
  for (const l of left) {
    lines.push(`  ${l.route}  (${l.pointer || '(document)'})`);
    for (const r of l.reasons) lines.push(`      ${r}`);
  }
  lines.push('Pass --allow-partial to write the config without them.');
  return lines.join('\n');
}

/** Validates and compiles the imported config, prints the report, then writes it (to --out or stdout) unless --strict refuses. */
async function writeImported(
  command: string,
  format: string,
  file: string,
  result: ImportResult,
  values: ImportValues,
  io: Io,
): Promise<number> {
  const yaml = `# Imported by \`portico import ${format}\` from ${file}\n${stringify(result.config, { lineWidth: 0 })}`;
  // The output must be a config Portico accepts: validate and compile it before writing.
  const loaded = loadConfigText(yaml, values.out ?? '(imported config)', placeholderKeyEnv(result.env ?? []));
  const pools = new PoolRegistry();
  try {
    compileConfig(loaded, { runtime: createRuntimeDeps({ pools, log: createLogger('silent') }), revision: 1 });
  } finally {
    await pools.close();
  }
  io.err(result.report.format());
  const partial = values['allow-partial'] ? undefined : partialImport(command, result);
  if (partial) {
    io.err(partial);
    return 1;
  }
  if (values.strict && result.report.hasUnsupported) {
    io.err(
      `portico ${command}: --strict: ${result.report.notes.filter((n) => n.level === 'unsupported').length} unsupported feature(s); nothing written`,
    );
    return 1;
  }
  if (values.out) {
    await writeFile(values.out, yaml);
    io.err(`wrote ${values.out}`);
  } else io.out(yaml.trimEnd());
  return 0;
}

/** `--target NAME=HOST:PORT` (repeatable, also for one NAME) → NAME → its values. */
function targetValues(command: string, values: readonly string[] | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    const value = v.slice(eq + 1);
    if (eq <= 0 || !/^(https?:\/\/)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)(:\d{1,5})?\/?$/.test(value))
      throw new UsageError(`portico ${command}: --target expects NAME=HOST:PORT (or NAME=HOST, NAME=URL), got "${v}"`);
    (out[v.slice(0, eq)] ??= []).push(value);
  }
  return out;
}

/** `--function NAME=MODULE#EXPORT` values, with relative modules rewritten relative to the output's directory. */
function functionMappings(command: string, values: string[] | undefined, outDir: string): Record<string, string> {
  const out = keyValues(command, 'function', values);
  for (const [name, ref] of Object.entries(out)) {
    const m = HANDLER_REF.exec(ref);
    if (!m)
      throw new UsageError(
        `portico ${command}: --function ${name}= expects MODULE#EXPORT, e.g. ./handlers/app.js#handler, got "${ref}"`,
      );
    const file = resolve(m[1] as string);
    if (!existsSync(file)) throw new UsageError(`portico ${command}: --function ${name}: ${m[1]} not found`);
    out[name] = `${configRelative(file, outDir)}#${m[2]}`;
  }
  return out;
}

/** A SAM function's handler module (CodeUri + the Handler's module part) under the code root, as the config names it. */
function findModule(codeRoot: string, codeUri: string, module: string, outDir: string): string | undefined {
  for (const ext of ['.js', '.mjs', '.cjs']) {
    const file = resolve(codeRoot, codeUri, `${module}${ext}`);
    if (existsSync(file) && statSync(file).isFile()) return configRelative(file, outDir);
  }
  return undefined;
}

function configRelative(file: string, dir: string): string {
  const rel = relative(dir, file);
  if (isAbsolute(rel)) return file;
  const posix = rel.split(sep).join('/');
  return posix.startsWith('../') ? posix : `./${posix}`;
}

/** Inline code as <outDir>/functions/<LogicalId>/<module>.cjs (Lambda runs inline Node.js code as CommonJS), rewritten on each import. */
function saveInlineCode(outDir: string, logicalId: string, module: string, code: string): string | undefined {
  const file = resolve(outDir, 'functions', logicalId.replace(/[^A-Za-z0-9_-]/g, '_'), `${module}.cjs`);
  if (!file.startsWith(resolve(outDir, 'functions') + sep)) return undefined;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, code);
  return configRelative(file, outDir);
}

/**
 * `--authorizer-function ID=./auth.js#handler`: the module path is given from the current directory; the config
 * reads it relative to itself, so it is rewritten relative to the output's directory.
 */
function authorizerFunctions(
  command: string,
  values: readonly string[] | undefined,
  outDir: string,
): Record<string, string> {
  const map = keyValues(command, 'authorizer-function', values);
  for (const [id, spec] of Object.entries(map)) {
    const m = /^([^#]+)(#[A-Za-z_$][A-Za-z0-9_$]*)?$/.exec(spec);
    if (!m)
      throw new UsageError(`portico ${command}: --authorizer-function ${id}= expects FILE.js#export, got "${spec}"`);
    const file = m[1] as string;
    map[id] = `${isAbsolute(file) ? file : configRelative(resolve(file), outDir)}${m[2] ?? '#handler'}`;
  }
  return map;
}
