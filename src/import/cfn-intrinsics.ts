import { parse, type Tags } from 'yaml';
import { isObj, type Json } from './json.js';

/**
 * CloudFormation templates: parsing (JSON, or YAML with the short-form intrinsic tags) and
 * evaluation of the intrinsic functions an API definition uses: Ref, Fn::Sub, Fn::GetAtt, Fn::Join,
 * Fn::Select, Fn::Split, Fn::If with Conditions (Fn::Equals/And/Or/Not), Fn::ImportValue,
 * Fn::FindInMap, Fn::Base64. A value that depends on something the template can't know
 * (an EC2 DNS name, an imported export) is an Unresolved marker, named so the report can ask for it.
 */

const FUNCTIONS = [
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'If',
  'Equals',
  'And',
  'Or',
  'Not',
  'Length',
  'ToJsonString',
];

function tagsFor(): Tags {
  const tags: Tags = [
    { tag: '!Ref', resolve: (s: string) => ({ Ref: s }) },
    { tag: '!Condition', resolve: (s: string) => ({ Condition: s }) },
  ];
  for (const fn of FUNCTIONS) {
    const key = `Fn::${fn}`;
    // !GetAtt a.b is the scalar form of ["a", "b"].
    tags.push({
      tag: `!${fn}`,
      resolve: (s: string) => ({ [key]: fn === 'GetAtt' ? s.split(/\.(.*)/s).slice(0, 2) : s }),
    });
    tags.push({
      tag: `!${fn}`,
      collection: 'seq',
      resolve: (seq: { toJSON(): unknown }) => ({ [key]: seq.toJSON() }),
    } as never);
    tags.push({
      tag: `!${fn}`,
      collection: 'map',
      resolve: (map: { toJSON(): unknown }) => ({ [key]: map.toJSON() }),
    } as never);
  }
  return tags;
}

export function parseTemplate(text: string): Json {
  const doc = parse(text, { customTags: tagsFor(), maxAliasCount: 100 }) as unknown;
  if (!isObj(doc) || !isObj(doc.Resources))
    throw new Error('expected a CloudFormation template with a Resources section');
  return doc;
}

export class Unresolved {
  constructor(readonly what: string) {}
  toString(): string {
    return `<unresolved ${this.what}>`;
  }
}

export interface EvalContext {
  template: Json;
  /** Parameter values (--param), over parameter defaults. */
  params: Readonly<Record<string, string>>;
  /** Resource attribute values (--resource Logical.Attr=value). */
  attributes: Readonly<Record<string, string>>;
  /** Everything unresolved that was asked for, for the report. */
  missing: Set<string>;
  /** Exports of the stacks imported together (Export.Name → the output's Value), for Fn::ImportValue. */
  exports?: Readonly<Record<string, unknown>>;
  /** Parameters another stack imported together gives (its output of that name → Value). */
  linked?: Readonly<Record<string, unknown>>;
}

const PSEUDO: Record<string, string> = {
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '000000000000',
  'AWS::StackName': 'stack',
  'AWS::StackId': 'arn:aws:cloudformation:us-east-1:000000000000:stack/stack/0',
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
};

export const NO_VALUE = Symbol('AWS::NoValue');

function paramValue(ctx: EvalContext, name: string): unknown {
  if (name in ctx.params) return ctx.params[name];
  if (name === 'AWS::NoValue') return NO_VALUE;
  const p = isObj(ctx.template.Parameters) ? ctx.template.Parameters[name] : undefined;
  if (isObj(p)) {
    if (p.Default !== undefined) return p.Default;
    if (ctx.linked && name in ctx.linked) return evaluate(ctx.linked[name], ctx);
    ctx.missing.add(`parameter ${name} (pass --param ${name}=VALUE)`);
    return new Unresolved(`parameter ${name}`);
  }
  if (name in PSEUDO) return PSEUDO[name];
  return undefined;
}

function refValue(ctx: EvalContext, name: string): unknown {
  const p = paramValue(ctx, name);
  if (p !== undefined) return p;
  const res = isObj(ctx.template.Resources) ? ctx.template.Resources[name] : undefined;
  // A resource's Ref is its physical id; the logical id stands in for it, which is all an API definition needs.
  if (isObj(res)) return name;
  ctx.missing.add(`Ref ${name}`);
  return new Unresolved(`Ref ${name}`);
}

function getAtt(ctx: EvalContext, logical: string, attr: string): unknown {
  const key = `${logical}.${attr}`;
  if (key in ctx.attributes) return ctx.attributes[key];
  if (attr === 'RootResourceId') return `${logical}#root`;
  if (attr === 'Arn') return `arn:aws:resource:::${logical}`;
  // The id an API definition refers to it by, like its Ref.
  if (attr === 'AuthorizerId' || attr === 'RequestValidatorId') return logical;
  ctx.missing.add(`${key} (pass --resource ${key}=VALUE)`);
  return new Unresolved(key);
}

export function conditionHolds(ctx: EvalContext, name: string): boolean {
  const conds = isObj(ctx.template.Conditions) ? ctx.template.Conditions : {};
  if (!(name in conds)) return true;
  return Boolean(evaluate(conds[name], ctx));
}

function str(v: unknown): string {
  if (v instanceof Unresolved) return v.toString();
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Evaluates intrinsics throughout a value. */
export function evaluate(value: unknown, ctx: EvalContext): unknown {
  if (Array.isArray(value)) return value.map((v) => evaluate(v, ctx)).filter((v) => v !== NO_VALUE);
  if (!isObj(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const k = keys[0] as string;
    const arg = value[k];
    switch (k) {
      case 'Ref':
        return refValue(ctx, String(arg));
      case 'Condition':
        return conditionHolds(ctx, String(arg));
      case 'Fn::GetAtt': {
        const [logical, attr] = Array.isArray(arg) ? arg : String(arg).split(/\.(.*)/s);
        return getAtt(ctx, String(logical), String(attr));
      }
      case 'Fn::Sub':
        return sub(arg, ctx);
      case 'Fn::Join': {
        const [sep, list] = arg as [string, unknown];
        const items = evaluate(list, ctx);
        return Array.isArray(items) ? items.map(str).join(String(sep)) : str(items);
      }
      case 'Fn::Select': {
        const [i, list] = arg as [unknown, unknown];
        const items = evaluate(list, ctx);
        return Array.isArray(items) ? items[Number(evaluate(i, ctx))] : new Unresolved('Fn::Select');
      }
      case 'Fn::Split': {
        const [sep, s] = arg as [string, unknown];
        return str(evaluate(s, ctx)).split(sep);
      }
      case 'Fn::If': {
        const [cond, a, b] = arg as [string, unknown, unknown];
        return evaluate(conditionHolds(ctx, cond) ? a : b, ctx);
      }
      case 'Fn::Equals': {
        const [a, b] = (arg as unknown[]).map((v) => str(evaluate(v, ctx)));
        return a === b;
      }
      case 'Fn::And':
        return (arg as unknown[]).every((v) => Boolean(evaluate(v, ctx)));
      case 'Fn::Or':
        return (arg as unknown[]).some((v) => Boolean(evaluate(v, ctx)));
      case 'Fn::Not':
        return !evaluate((arg as unknown[])[0], ctx);
      case 'Fn::ImportValue': {
        const name = str(evaluate(arg, ctx));
        if (name in ctx.params) return ctx.params[name];
        if (ctx.exports && name in ctx.exports) return evaluate(ctx.exports[name], ctx);
        ctx.missing.add(
          `import ${name} (pass --param ${name}=VALUE, or import the stack that exports it in the same command)`,
        );
        return new Unresolved(`import ${name}`);
      }
      case 'Fn::FindInMap': {
        const [map, top, second] = (arg as unknown[]).map((v) => str(evaluate(v, ctx)));
        const m = isObj(ctx.template.Mappings) ? ctx.template.Mappings[map as string] : undefined;
        const t = isObj(m) ? m[top as string] : undefined;
        return isObj(t) ? t[second as string] : new Unresolved(`Fn::FindInMap ${map}`);
      }
      case 'Fn::Base64':
        return Buffer.from(str(evaluate(arg, ctx))).toString('base64');
      default:
        if (k.startsWith('Fn::')) {
          ctx.missing.add(`${k} (not supported)`);
          return new Unresolved(k);
        }
    }
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    const e = evaluate(v, ctx);
    if (e !== NO_VALUE) out[k] = e;
  }
  return out;
}

function sub(arg: unknown, ctx: EvalContext): string {
  const [template, vars] = Array.isArray(arg) ? (arg as [string, Json]) : [String(arg), {}];
  const local = isObj(vars) ? vars : {};
  return String(template).replace(/\$\{(!?)([^}]+)\}/g, (m, bang: string, name: string) => {
    if (bang) return `\${${name}}`;
    if (name in local) return str(evaluate(local[name], ctx));
    // ${stageVariables.x} is not Sub's business; keep it for the URI template.
    if (name.startsWith('stageVariables.')) return m;
    if (name.includes('.') && !name.startsWith('AWS::')) {
      const [logical, attr] = name.split(/\.(.*)/s);
      return str(getAtt(ctx, logical as string, attr as string));
    }
    return str(refValue(ctx, name));
  });
}

export function hasUnresolved(value: unknown): boolean {
  if (value instanceof Unresolved) return true;
  if (typeof value === 'string') return value.includes('<unresolved ');
  if (Array.isArray(value)) return value.some(hasUnresolved);
  if (isObj(value)) return Object.values(value).some(hasUnresolved);
  return false;
}
