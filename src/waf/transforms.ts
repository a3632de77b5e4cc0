/**
 * AWS WAF text transformations, applied in priority order before a statement inspects a value.
 * https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-transformation.html
 */

export const TEXT_TRANSFORMATION_TYPES = [
  'NONE',
  'URL_DECODE',
  'URL_DECODE_UNI',
  'LOWERCASE',
  'UPPERCASE',
  'HTML_ENTITY_DECODE',
  'COMPRESS_WHITE_SPACE',
  'CMD_LINE',
  'BASE64_DECODE',
  'REMOVE_NULLS',
  'NORMALIZE_PATH',
  'JS_DECODE',
] as const;
export type TextTransformationType = (typeof TEXT_TRANSFORMATION_TYPES)[number];

export type Transform = (s: string) => string;

/** %XX and "+" → space, as a form decoder does; bad escapes are kept as they are. Never throws. */
export function urlDecode(s: string): string {
  if (s.indexOf('%') === -1 && s.indexOf('+') === -1) return s;
  const t = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(t);
  } catch {
    // Decode what is decodable: runs of valid %XX sequences, byte-wise as UTF-8, else latin1.
    return t.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return Buffer.from(run.replace(/%/g, ''), 'hex').toString('latin1');
      }
    });
  }
}

/** URL_DECODE_UNI: also %uXXXX (IIS). */
function urlDecodeUni(s: string): string {
  return urlDecode(s.replace(/%u([0-9a-fA-F]{4})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))));
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  colon: ':',
  lpar: '(',
  rpar: ')',
  tab: '\t',
  newline: '\n',
  sol: '/',
  bsol: '\\',
  semi: ';',
  equals: '=',
  excl: '!',
  grave: '`',
  lsqb: '[',
  rsqb: ']',
  lbrack: '[',
  rbrack: ']',
  lcub: '{',
  rcub: '}',
  period: '.',
  comma: ',',
  num: '#',
  percnt: '%',
  plus: '+',
  quest: '?',
  ast: '*',
  hyphen: '-',
  dash: '-',
  lowbar: '_',
  vert: '|',
  Tab: '\t',
  NewLine: '\n',
};

/** &lt; &#60; &#x3c; (with or without the ";"), as browsers read them. */
export function htmlEntityDecode(s: string): string {
  if (s.indexOf('&') === -1) return s;
  return s.replace(
    /&(?:#[xX]([0-9a-fA-F]{1,8})|#(\d{1,10})|([A-Za-z][A-Za-z0-9]{1,31}));?/g,
    (m, hex?: string, dec?: string, name?: string) => {
      if (hex !== undefined || dec !== undefined) {
        const cp = hex !== undefined ? parseInt(hex, 16) : Number(dec);
        return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
      }
      return NAMED_ENTITIES[name as string] ?? NAMED_ENTITIES[(name as string).toLowerCase()] ?? m;
    },
  );
}

/** Tabs, newlines, form feeds and runs of spaces → one space. */
export function compressWhiteSpace(s: string): string {
  return s.replace(/[\s\u000b]+/g, ' ');
}

/**
 * CMD_LINE (AWS): delete \ " ' ^; delete spaces before / and (; replace , and ; with a space;
 * compress white space; lower-case.
 */
export function cmdLine(s: string): string {
  return compressWhiteSpace(
    s
      .replace(/[\\"'^]/g, '')
      .replace(/\s+(?=[/(])/g, '')
      .replace(/[,;]/g, ' '),
  ).toLowerCase();
}

/** Decodes base64 (standard or URL alphabet); text that is not base64 is returned unchanged. */
export function base64Decode(s: string): string {
  const t = s.trim();
  if (t.length < 4 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) return s;
  return Buffer.from(t, t.includes('-') || t.includes('_') ? 'base64url' : 'base64').toString('latin1');
}

/** Removes "." segments and resolves ".." in a path, collapses "//". */
function normalizePath(s: string): string {
  const out: string[] = [];
  for (const seg of s.split('/')) {
    if (seg === '.' || (seg === '' && out.length > 0)) continue;
    if (seg === '..') {
      if (out.length > 1) out.pop();
      continue;
    }
    out.push(seg);
  }
  const r = out.join('/');
  return s.endsWith('/') && !r.endsWith('/') ? `${r}/` : r || '/';
}

/** \xHH \uHHHH \u{H..} \OOO and \c escapes of JavaScript. */
function jsDecode(s: string): string {
  if (s.indexOf('\\') === -1) return s;
  return s.replace(
    /\\(?:x([0-9a-fA-F]{2})|u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|([0-7]{1,3})|(.))/g,
    (_m, x?: string, ub?: string, u?: string, o?: string, c?: string) => {
      if (x) return String.fromCharCode(parseInt(x, 16));
      if (ub) {
        const cp = parseInt(ub, 16);
        return cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
      }
      if (u) return String.fromCharCode(parseInt(u, 16));
      if (o) return String.fromCharCode(parseInt(o, 8) & 0xff);
      return (
        ({ n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v' } as Record<string, string>)[c as string] ??
        (c as string)
      );
    },
  );
}

export const TRANSFORMS: Readonly<Record<TextTransformationType, Transform>> = {
  NONE: (s) => s,
  URL_DECODE: urlDecode,
  URL_DECODE_UNI: urlDecodeUni,
  LOWERCASE: (s) => s.toLowerCase(),
  UPPERCASE: (s) => s.toUpperCase(),
  HTML_ENTITY_DECODE: htmlEntityDecode,
  COMPRESS_WHITE_SPACE: compressWhiteSpace,
  CMD_LINE: cmdLine,
  BASE64_DECODE: base64Decode,
  REMOVE_NULLS: (s) => s.replace(/\0/g, ''),
  NORMALIZE_PATH: normalizePath,
  JS_DECODE: jsDecode,
};

/** One function applying the transformations in ascending priority (AWS: lowest first). */
export function compileTransforms(
  list: readonly { priority: number; type: TextTransformationType }[],
): Transform | undefined {
  const fns = [...list]
    .sort((a, b) => a.priority - b.priority)
    .filter((t) => t.type !== 'NONE')
    .map((t) => TRANSFORMS[t.type]);
  if (fns.length === 0) return undefined;
  if (fns.length === 1) return fns[0];
  return (s) => {
    let v = s;
    for (const f of fns) v = f(v);
    return v;
  };
}
