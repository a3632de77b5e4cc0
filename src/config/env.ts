import { type Document, isMap, isPair, isScalar, isSeq, type Node, parse as parseYaml } from 'yaml';
import type { ConfigPath } from './errors.js';

/**
 * `${NAME}` and `${NAME:-default}` in string values are replaced from the environment; `$${` is a
 * literal `${`. Names are identifiers, so `${stageVariables.x}` (a URI template) is left alone.
 * Interpolation happens on parsed scalars, never on the raw text, so a value can't inject YAML.
 * An unquoted scalar that is a single reference takes the type the value spells (8080 → number).
 */
const REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface EnvProblem {
  path: ConfigPath;
  offset: number | undefined;
  message: string;
}

export function interpolateEnv(doc: Document, env: NodeJS.ProcessEnv): EnvProblem[] {
  const problems: EnvProblem[] = [];
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) walk(item, [...path, i]);
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${')) {
      const source = node.value;
      let missing = false;
      const out = source.replace(REF, (m, name: string | undefined, fallback: string | undefined) => {
        if (m === '$${') return '${';
        const v = env[name as string];
        if (v !== undefined && v !== '') return v;
        if (fallback !== undefined) return fallback;
        missing = true;
        problems.push({
          path,
          offset: (node as Node).range?.[0],
          message: `environment variable ${name} is not set (write \${${name}:-default} to give a default)`,
        });
        return '';
      });
      if (missing) {
        node.value = out;
        return;
      }
      const whole = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/.test(source);
      if (whole && node.type === 'PLAIN') {
        const typed = safeScalar(out);
        node.value = typed;
      } else {
        node.value = out;
      }
    }
  };
  walk(doc.contents, []);
  return problems;
}

function safeScalar(text: string): unknown {
  try {
    const v = parseYaml(text);
    return typeof v === 'number' || typeof v === 'boolean' || v === null ? v : text;
  } catch {
    return text;
  }
}
