import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ROOT } from '../helpers/cli.js';

/** One Dockerfile instruction: its keyword, flags (`--from=build`) and arguments (exec form parsed). */
export interface Instruction {
  line: number;
  op: string;
  flags: Record<string, string>;
  /** Exec form (a JSON array) parsed, else the words of the shell form. */
  args: string[];
  raw: string;
}

/** Parses a Dockerfile (continuation lines joined, comments dropped) into its stages. */
export function parseDockerfile(text: string): { args: Record<string, string>; stages: Instruction[][] } {
  const stages: Instruction[][] = [];
  const args: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let raw = lines[i] as string;
    if (/^\s*(#|$)/.test(raw)) continue;
    while (raw.endsWith('\\') && i + 1 < lines.length) raw = `${raw.slice(0, -1)} ${lines[++i] as string}`;
    const m = /^\s*(\w+)\s+(.*)$/.exec(raw);
    if (!m) throw new Error(`Dockerfile:${start}: cannot parse "${raw}"`);
    const op = (m[1] as string).toUpperCase();
    let rest = (m[2] as string).trim();
    const flags: Record<string, string> = {};
    for (let f = /^--([\w-]+)=(\S+)\s+/.exec(rest); f; f = /^--([\w-]+)=(\S+)\s+/.exec(rest)) {
      flags[f[1] as string] = f[2] as string;
      rest = rest.slice(f[0].length);
    }
    // HEALTHCHECK CMD ["..."]: the keyword, then the exec form.
    const hc = op === 'HEALTHCHECK' ? /^CMD\s+(\[.*)$/.exec(rest) : null;
    const parsed = hc
      ? ['CMD', ...(JSON.parse(hc[1] as string) as string[])]
      : rest.startsWith('[')
        ? (JSON.parse(rest) as string[])
        : rest.split(/\s+/);
    const ins: Instruction = { line: start, op, flags, args: parsed, raw };
    if (op === 'FROM') stages.push([ins]);
    else if (stages.length === 0 && op === 'ARG') {
      const [k, v] = (parsed[0] as string).split('=');
      args[k as string] = v ?? '';
    } else {
      const cur = stages.at(-1);
      if (!cur) throw new Error(`Dockerfile:${start}: ${op} before FROM`);
      cur.push(ins);
    }
  }
  return { args, stages };
}

export function readDockerfile() {
  return parseDockerfile(readFileSync(join(ROOT, 'deploy/docker/Dockerfile'), 'utf8'));
}

/** One instruction of the stage (the last one when several), or undefined. */
export function last(stage: Instruction[], op: string): Instruction | undefined {
  return stage.filter((i) => i.op === op).at(-1);
}

/** A .dockerignore pattern as a regular expression on a slash-separated path (moby's patternmatcher). */
function patternRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Whether `path` (relative to the build context) is left out of the context by the .dockerignore
 * text: the last pattern matching the path or one of its parent directories decides, `!` keeps.
 */
export function dockerIgnored(ignore: string, path: string): boolean {
  const rules = ignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const keep = l.startsWith('!');
      const p = (keep ? l.slice(1) : l).replace(/^\/+/, '').replace(/\/+$/, '');
      return { keep, re: patternRegExp(p) };
    });
  const parts = path.split('/');
  let ignored = false;
  for (const r of rules) {
    const hit = parts.some((_, i) => r.re.test(parts.slice(0, i + 1).join('/')));
    if (hit) ignored = !r.keep;
  }
  return ignored;
}

/**
 * Renders a Helm template written in the small subset the chart keeps to (there is no helm binary
 * here): `{{ .Values.a.b }}`, `.Release.Name`, `.Release.Namespace`, `.Chart.*`, string literals, the
 * pipes `quote`, `toYaml`, `indent N`, `nindent N`, `toYaml X | nindent N`, `if X` / `else` / `end`,
 * and `{{-` / `-}}` whitespace trimming, with Go template semantics. Anything else throws, so the
 * chart cannot drift out of what this checks; an unknown value throws too (helm would print nothing).
 */
export function renderHelm(template: string, scope: Record<string, unknown>, where = 'template'): string {
  let out = '';
  const active: boolean[] = [];
  let trimNext = false;
  const on = () => active.every(Boolean);
  const lookup = (path: string): unknown => {
    if (/^"(?:[^"\\]|\\.)*"$/.test(path)) return JSON.parse(path);
    if (!path.startsWith('.')) throw new Error(`${where}: unsupported expression "${path}"`);
    let v: unknown = scope;
    for (const k of path.slice(1).split('.')) {
      if (v === null || typeof v !== 'object' || !(k in v)) throw new Error(`${where}: no value ${path}`);
      v = (v as Record<string, unknown>)[k];
    }
    return v;
  };
  const toYaml = (v: unknown) => stringify(v).trimEnd();
  const indent = (s: string, n: number) =>
    s
      .split('\n')
      .map((l) => ' '.repeat(n) + l)
      .join('\n');
  const pipeline = (expr: string): unknown => {
    const [head = '', ...pipes] = expr.split('|').map((p) => p.trim());
    const fn = /^toYaml\s+(\S+)$/.exec(head);
    let v: unknown = fn ? toYaml(lookup(fn[1] as string)) : lookup(head);
    for (const p of pipes) {
      const [name, arg] = p.split(/\s+/);
      if (name === 'quote') v = JSON.stringify(String(v));
      else if (name === 'toYaml') v = toYaml(v);
      else if (name === 'indent') v = indent(String(v), Number(arg));
      else if (name === 'nindent') v = `\n${indent(String(v), Number(arg))}`;
      else throw new Error(`${where}: unsupported function "${name}"`);
    }
    return v;
  };
  const re = /\{\{(-?)\s*(.*?)\s*(-?)\}\}/gs;
  let at = 0;
  for (let m = re.exec(template); m; m = re.exec(template)) {
    let text = template.slice(at, m.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (m[1] === '-') text = text.replace(/\s+$/, '');
    if (on()) out += text;
    at = m.index + m[0].length;
    trimNext = m[3] === '-';
    const action = m[2] as string;
    const cond = /^if\s+(.+)$/.exec(action);
    if (cond) {
      const v = lookup(cond[1] as string);
      active.push(Boolean(v) && !(Array.isArray(v) && v.length === 0));
    } else if (action === 'else') {
      if (active.length === 0) throw new Error(`${where}: else without if`);
      active.push(!active.pop());
    } else if (action === 'end') {
      if (active.pop() === undefined) throw new Error(`${where}: end without if`);
    } else if (on()) out += String(pipeline(action));
  }
  if (active.length) throw new Error(`${where}: if without end`);
  let text = template.slice(at);
  if (trimNext) text = text.replace(/^\s+/, '');
  return out + text;
}
