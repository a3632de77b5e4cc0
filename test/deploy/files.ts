import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
