/**
 * A small SQL tokenizer in the manner of libinjection: it reads a parameter value as a fragment of
 * SQL (optionally as if it began inside a quoted string) and returns a flat list of typed tokens.
 * The detector (sqli.ts) then looks for SQL structure in the token kinds, not for words in the text.
 */

/**
 * Token kinds:
 * s string, n number, v variable (@x, @@x), b logic operator (and, or, xor, &&, ||, not),
 * o operator (= < > + - * / % like in is ...), u set operator (union, intersect, except),
 * E statement keyword (select, insert, drop, exec, ...), k other SQL keyword, f function call
 * (a name followed by "("), w other word, c comment, ( ) , ; . punctuation, x anything else.
 */
export type TokenKind =
  's' | 'n' | 'v' | 'b' | 'o' | 'u' | 'E' | 'k' | 'f' | 'w' | 'c' | '(' | ')' | ',' | ';' | '.' | 'x';

export interface Token {
  kind: TokenKind;
  /** Lower-cased text (for strings: the content without quotes). */
  text: string;
  /** Strings: closed by a matching quote. Comments: closed (block comments). */
  closed?: boolean;
}

const LOGIC = new Set(['and', 'or', 'xor', 'not', '&&', '||']);
const SET_OPS = new Set(['union', 'intersect', 'except', 'minus']);
export const STATEMENTS = new Set([
  'select',
  'insert',
  'update',
  'delete',
  'drop',
  'exec',
  'execute',
  'declare',
  'create',
  'alter',
  'truncate',
  'shutdown',
  'waitfor',
  'grant',
  'revoke',
  'merge',
  'call',
  'handler',
  'load',
  'rename',
]);
const KEYWORDS = new Set([
  'from',
  'where',
  'order',
  'group',
  'by',
  'having',
  'limit',
  'offset',
  'into',
  'outfile',
  'dumpfile',
  'values',
  'table',
  'tables',
  'database',
  'schema',
  'case',
  'when',
  'then',
  'else',
  'end',
  'null',
  'all',
  'distinct',
  'top',
  'procedure',
  'analyse',
  'asc',
  'desc',
  'collate',
  'as',
  'join',
  'set',
  'delay',
  'time',
  'true',
  'false',
  'begin',
  'user',
  'view',
  'index',
  'function',
  'trigger',
  'login',
  'nowait',
  'with',
  'unhex',
  'using',
  'varchar',
  'nvarchar',
  'char',
  'int',
  'integer',
  'sysname',
  'information_schema',
  'sysobjects',
  'syscolumns',
  'master',
  'dual',
  'rownum',
  'goto',
  'try',
  'catch',
  'if',
  'elseif',
  'exists',
  'cast',
  'convert',
  'binary',
]);
/** Keywords that are also functions when called: if(, char(, cast(, user(, database( ... */
const CALLABLE_KEYWORDS = new Set([
  'if',
  'char',
  'cast',
  'convert',
  'user',
  'database',
  'schema',
  'exists',
  'binary',
  'unhex',
  'left',
  'right',
  'replace',
  'time',
  'values',
  'trigger',
  'function',
]);
const OPERATOR_WORDS = new Set([
  'like',
  'rlike',
  'regexp',
  'is',
  'in',
  'between',
  'div',
  'mod',
  'sounds',
  'glob',
  'escape',
]);

const LETTER = /[\p{L}\p{N}]/u;
function isWordChar(c: number): boolean {
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36;
  return LETTER.test(String.fromCharCode(c));
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 160;
}

const OPS3 = ['<=>'];
const OPS2 = ['<=', '>=', '<>', '!=', ':=', '&&', '||', '!<', '!>', '<<', '>>', '::', '=='];
const OPS1 = '=<>+-*/%&|^~!:';

/**
 * Tokenizes `input` (already lower-cased). With `quote` set, the input is read as if it followed an
 * opening quote of that kind: the first token is the string up to the first such quote.
 */
export function tokenizeSql(input: string, quote: '' | "'" | '"' | '`' = '', maxTokens = 64): Token[] {
  const out: Token[] = [];
  const n = input.length;
  let i = 0;
  if (quote) {
    const end = findQuoteEnd(input, 0, quote);
    if (end === -1) return [{ kind: quote === '`' ? 'w' : 's', text: input, closed: false }];
    out.push({ kind: quote === '`' ? 'w' : 's', text: input.slice(0, end), closed: true });
    i = end + 1;
  }
  while (i < n && out.length < maxTokens) {
    const c = input.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const ch = input[i] as string;
    // comments
    if (ch === '-' && input[i + 1] === '-') {
      const e = skipLine(input, i);
      out.push({ kind: 'c', text: input.slice(i, e).trim() });
      i = e;
      continue;
    }
    if (ch === '#') {
      const e = skipLine(input, i);
      out.push({ kind: 'c', text: input.slice(i, e).trim() });
      i = e;
      continue;
    }
    if (ch === '/' && input[i + 1] === '*') {
      const end = input.indexOf('*/', i + 2);
      const body = input.slice(i + 2, end === -1 ? n : end);
      // MySQL executable comments /*!50000 select */ are code: read their content as tokens.
      if (body.startsWith('!')) {
        out.push({ kind: 'c', text: '/*!', closed: end !== -1 });
        const inner = tokenizeSql(body.slice(1).replace(/^\d+/, ''), '', maxTokens - out.length);
        for (const t of inner) out.push(t);
      } else out.push({ kind: 'c', text: '/*', closed: end !== -1 });
      i = end === -1 ? n : end + 2;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') {
      const end = findQuoteEnd(input, i + 1, ch);
      if (ch === '`') {
        // a quoted identifier
        out.push({ kind: 'w', text: input.slice(i + 1, end === -1 ? n : end) });
      } else {
        out.push({ kind: 's', text: input.slice(i + 1, end === -1 ? n : end), closed: end !== -1 });
      }
      i = end === -1 ? n : end + 1;
      continue;
    }
    if (ch === '[') {
      // MSSQL [identifier]
      const end = input.indexOf(']', i + 1);
      if (end !== -1 && end - i < 64 && /^[a-z0-9_ .$]+$/.test(input.slice(i + 1, end))) {
        out.push({ kind: 'w', text: input.slice(i + 1, end) });
        i = end + 1;
        continue;
      }
      out.push({ kind: 'x', text: '[' });
      i++;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',' || ch === ';') {
      out.push({ kind: ch, text: ch });
      i++;
      continue;
    }
    if (ch === '.' && !isDigit(input.charCodeAt(i + 1))) {
      out.push({ kind: '.', text: '.' });
      i++;
      continue;
    }
    if (ch === '@') {
      let j = i + 1;
      if (input[j] === '@') j++;
      if (input[j] === '`' || input[j] === '"' || input[j] === "'") {
        const end = findQuoteEnd(input, j + 1, input[j] as string);
        j = end === -1 ? n : end + 1;
      } else while (j < n && (isWordChar(input.charCodeAt(j)) || input[j] === '.')) j++;
      out.push({ kind: 'v', text: input.slice(i, j) });
      i = j;
      continue;
    }
    if (isDigit(c) || (ch === '.' && isDigit(input.charCodeAt(i + 1)))) {
      let j = i;
      if (ch === '0' && (input[i + 1] === 'x' || input[i + 1] === 'b')) {
        j = i + 2;
        while (j < n && /[0-9a-f]/.test(input[j] as string)) j++;
      } else {
        while (j < n && (isDigit(input.charCodeAt(j)) || input[j] === '.')) j++;
        if (
          input[j] === 'e' &&
          (isDigit(input.charCodeAt(j + 1)) ||
            ((input[j + 1] === '-' || input[j + 1] === '+') && isDigit(input.charCodeAt(j + 2))))
        ) {
          j += 2;
          while (j < n && isDigit(input.charCodeAt(j))) j++;
        }
      }
      // "1union" or "1e1union": a number glued to a word still ends here (MySQL reads it so).
      out.push({ kind: 'n', text: input.slice(i, j) });
      i = j;
      continue;
    }
    if (isWordChar(c) || ch === '\\') {
      let j = i;
      while (j < n && (isWordChar(input.charCodeAt(j)) || input[j] === '\\')) j++;
      const word = input.slice(i, j).replace(/\\/g, '');
      i = j;
      // N'unicode', x'hex', b'bits', q'[...]' literal prefixes
      if ((word === 'n' || word === 'x' || word === 'b' || word === '_utf8' || word === '_latin1') && input[i] === "'")
        continue;
      let k = i;
      while (k < n && isSpace(input.charCodeAt(k))) k++;
      // comments between a name and its "(" still make a call: sleep/**/(5)
      while (input[k] === '/' && input[k + 1] === '*') {
        const e = input.indexOf('*/', k + 2);
        if (e === -1) break;
        k = e + 2;
        while (k < n && isSpace(input.charCodeAt(k))) k++;
      }
      out.push({ kind: classifyWord(word, input[k] === '('), text: word });
      continue;
    }
    let op = '';
    if (OPS3.includes(input.slice(i, i + 3))) op = input.slice(i, i + 3);
    else if (OPS2.includes(input.slice(i, i + 2))) op = input.slice(i, i + 2);
    else if (OPS1.includes(ch)) op = ch;
    if (op) {
      out.push({ kind: op === '&&' || op === '||' ? 'b' : 'o', text: op });
      i += op.length;
      continue;
    }
    out.push({ kind: 'x', text: ch });
    i++;
  }
  return out;
}

function classifyWord(word: string, call: boolean): TokenKind {
  if (LOGIC.has(word)) return 'b';
  if (SET_OPS.has(word)) return 'u';
  if (STATEMENTS.has(word)) return word === 'select' || !call ? 'E' : 'f';
  if (OPERATOR_WORDS.has(word)) return 'o';
  if (KEYWORDS.has(word) && !(call && CALLABLE_KEYWORDS.has(word))) return 'k';
  if (call) return 'f';
  return 'w';
}

function skipLine(s: string, i: number): number {
  const nl = s.indexOf('\n', i);
  return nl === -1 ? s.length : nl + 1;
}

/** Index of the closing quote (a doubled quote or a backslash escape does not close), or -1. */
function findQuoteEnd(s: string, from: number, q: string): number {
  for (let i = from; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === q) {
      if (s[i + 1] === q) {
        i++;
        continue;
      }
      return i;
    }
  }
  return -1;
}
