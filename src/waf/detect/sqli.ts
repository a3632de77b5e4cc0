// Over 400 lines, on purpose: one SQL-injection detector whose state machine (check) and statement
// grammar (statement) read as one unit, and whose figures are fixed by the WAF corpus (docs/waf.md).
// Splitting it into a table of per-token handlers is the planned next step.
import { type Token, tokenizeSql } from './sql-tokens.js';

/** A word list written as text (one table per line is easier to read and to diff than quoted items). */
const words = (text: string): string[] => text.split(/\s+/).filter(Boolean);

/** LOW finds SQL structure (few false positives, AWS's default); HIGH also flags weaker signs. */
export type Sensitivity = 'LOW' | 'HIGH';

export interface SqliResult {
  /** Why it matched, e.g. "union-select" (for logs and tuning); undefined when it did not. */
  reason: string | undefined;
}

/** Functions that have little business in a parameter value outside an attack. */
const RISKY_FUNCTIONS = new Set(
  words(`
  sleep benchmark pg_sleep extractvalue updatexml load_file xp_cmdshell concat concat_ws group_concat version
  database user current_user system_user session_user schema char chr nchar ascii ord substring substr mid hex
  unhex elt make_set ifnull iif isnull nullif coalesce cast convert md5 sha1 randomblob sqlite_version json_keys
  lo_get lo_import name_const geometrycollection multipoint polygon linestring multipolygon exp floor rand count
  length len char_length sys_context utl_inaddr utl_http dbms_pipe dbms_lock xmltype db_name user_name host_name
  object_id is_srvrolemember openrowset opendatasource waitfor if left right reverse lower upper trim instr
  locate position strcmp regexp_substr getdate now current_database pg_read_file row exists sum min max avg
  least greatest export_set gtid_subset json_extract to_char to_number bitand ctxsys drithsx uuid password
  encode decode base64 from_base64 to_base64 quote replace space repeat rpad lpad soundex benchmark
  generate_series query_to_xml xmlagg xmlelement string_agg listagg stragg wm_concat procedure analyse cot ln
  log sign abs pi pow sqrt exec execute values sin cos tan atan find_in_set field overlay bin oct conv crc32
  sha2 compress uncompress json_valid json sqlite_compileoption_used unistr starts_with aes_encrypt aes_decrypt
  des_encrypt des_decrypt current_date
`),
);
/** Of those, the ones that are an attack on their own wherever they appear. */
const STRONG_FUNCTIONS = new Set(
  words(`
  sleep benchmark pg_sleep extractvalue updatexml load_file xp_cmdshell concat_ws group_concat make_set
  name_const geometrycollection multipoint multipolygon sqlite_version utl_inaddr utl_http dbms_pipe dbms_lock
  xmltype is_srvrolemember openrowset opendatasource pg_read_file lo_import lo_get gtid_subset export_set
  query_to_xml randomblob json_keys sys_context ctxsys drithsx current_database db_name user_name host_name
  wm_concat stragg xmlagg current_user uncompress
`),
);
const PG_TYPES = new Set(
  words(`
  int integer int4 int8 bigint text bool boolean json jsonb varchar numeric regclass oid bytea inet float char
  date
`),
);
const SYSTEM_NAMES =
  /(?:^|[^a-z0-9_])(?:information_schema|sysibm|sysdummy1|sysobjects|syscolumns|sysusers|msysobjects|msysaccessobjects|mysql\.user|pg_catalog|pg_shadow|pg_user|all_tables|all_tab_columns|user_tables|sys\.(?:objects|tables|columns|databases)|sqlite_master|xp_cmdshell|utl_http|utl_inaddr|dbms_[a-z_]+\.|sp_executesql|sp_password|sp_oacreate|xp_regread|xp_dirtree|master\.\.|dbo\.|sys\.fn_)/;
/** Operators that join a broken-out string to more SQL: 'x'='x, '||(select, ' mod ', '*null or '1. */
const QUOTE_OPS = new Set(
  words(`
  = != <> || | ^ * mod div like rlike regexp sounds is in <=> ::
`),
);
const WORD_OPS = /^[a-z]/;
const CMP = new Set(
  words(`
  = == < > <= >= != <> <=> like rlike regexp is between in
`),
);
const DDL_OBJECTS = new Set(
  words(`
  table database schema user view index procedure function trigger login column
`),
);
const VALUE_KINDS = 'snvwf(';

/**
 * Looks for SQL injection in one value, libinjection-style: the value is tokenized three times (as
 * is, and as if it followed a ' or a " of the query it lands in) and each token stream is checked
 * for SQL structure. Input should be lower-cased and decoded by the caller's transformations; this
 * function lower-cases again (cheap) so it is safe on raw input too.
 */
export function detectSqli(raw: string, sensitivity: Sensitivity = 'LOW'): SqliResult {
  if (raw.length < 2) return { reason: undefined };
  let input = raw.length > 8192 ? raw.slice(0, 8192).toLowerCase() : raw.toLowerCase();
  // Typographic quotes (‘ ’ ´ ′ ` ʼ) stand in for ' in attacks on permissive collations and filters.
  if (/[\u2018\u2019\u00b4\u2032\u02bc]/.test(input)) input = input.replace(/[\u2018\u2019\u00b4\u2032\u02bc]/g, "'");
  // An en or em dash where "--" was meant (payloads pasted through word processors).
  if (/[\u2013\u2014]/.test(input)) input = input.replace(/[\u2013\u2014]/g, '--');
  if (SYSTEM_NAMES.test(input)) return { reason: 'system-object' };
  const high = sensitivity === 'HIGH';
  let r = check(tokenizeSql(input, ''), false, high);
  if (r) return { reason: r };
  if (input.includes("'")) {
    r = check(tokenizeSql(input, "'"), true, high);
    if (r) return { reason: `'${r}` };
  }
  if (input.includes('"')) {
    r = check(tokenizeSql(input, '"'), true, high);
    if (r) return { reason: `"${r}` };
  }
  if (input.includes('`')) {
    r = check(tokenizeSql(input, '`'), false, high);
    if (r) return { reason: `\`${r}` };
  }
  return { reason: undefined };
}

/** Text of the token at i, or "" past the end. */
function tx(tokens: readonly Token[], i: number): string {
  return tokens[i]?.text ?? '';
}

function kinds(tokens: readonly Token[]): string {
  let s = '';
  for (const t of tokens) s += t.kind;
  return s;
}

/** Returns a reason when the token stream has SQL structure. `quoted`: it starts by closing a string. */
function check(all: Token[], quoted: boolean, high: boolean): string | undefined {
  // Comments (other than executable /*! */) are whitespace to SQL: drop them but remember they were there.
  const tokens: Token[] = [];
  let comments = 0;
  let trailingComment = false;
  let lastComment: Token | undefined;
  for (const t of all) {
    if (t.kind === 'c') {
      comments++;
      lastComment = t;
      if (t.text === '/*!') return 'mysql-executable-comment';
      trailingComment = true;
      continue;
    }
    trailingComment = false;
    tokens.push(t);
  }
  const k = kinds(tokens);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    const next = k[i + 1];
    switch (t.kind) {
      case 'u': {
        // UNION [ALL|DISTINCT] [(] SELECT
        let j = i + 1;
        while (k[j] === '(' || tx(tokens, j) === 'all' || tx(tokens, j) === 'distinct') j++;
        if (tx(tokens, j) === 'select' || (high && tx(tokens, j) === 'values')) return 'union-select';
        break;
      }
      case 'E':
        {
          const r = statement(tokens, k, i, high);
          if (r) return r;
        }
        break;
      case 'f': {
        if (STRONG_FUNCTIONS.has(t.text)) return `function-${t.text}`;
        if ((t.text === 'exec' || t.text === 'execute') && k[i + 1] === '(' && k[i + 2] === 'v') return 'exec';
        if (t.text === 'if' && k[i + 1] === '(' && /^[nsvw]o/.test(k.slice(i + 2))) return 'if-test';
        if (RISKY_FUNCTIONS.has(t.text)) {
          const inner = tokens[i + 2];
          if (k[i + 1] === '(' && inner?.kind === 'f' && RISKY_FUNCTIONS.has(inner.text))
            return `nested-function-${t.text}`;
          const prev = k[i - 1];
          // in an expression: after an operator, a keyword, a comma, "(" or a closed string
          if (
            prev === 'o' ||
            prev === 'b' ||
            prev === 'E' ||
            prev === 'k' ||
            prev === '(' ||
            prev === ',' ||
            prev === 'u'
          ) {
            if (prev !== '(' && prev !== ',') return `expr-function-${t.text}`;
            if (high || k.slice(0, i).includes('o')) return `expr-function-${t.text}`;
          }
          if (i === 0 && quoted && high) return `function-${t.text}`;
          if (i === 1 && quoted && k[0] === 's' && high) return `function-${t.text}`;
        }
        break;
      }
      case 'o':
        if (
          t.text === '::' &&
          PG_TYPES.has(tx(tokens, i + 1)) &&
          (k[i - 1] === 's' || k[i - 1] === ')' || k[i - 1] === 'w')
        )
          return 'pg-cast';
        break;
      case 'v':
        if (t.text.startsWith('@@')) return 'system-variable';
        if (next === 'o' && tx(tokens, i + 1) === ':=') return 'variable-assignment';
        break;
      case 'k':
        if ((t.text === 'order' || t.text === 'group') && tx(tokens, i + 1) === 'by') {
          // ORDER BY 1--, GROUP BY x HAVING
          const after = k[i + 2];
          if (after === 'n' && (i + 3 >= k.length || k[i + 3] === ',' || trailingComment || quoted)) {
            if (quoted || comments > 0 || high || i === 0) return 'order-by';
          }
          if (k.indexOf('k', i + 2) !== -1 && tokens.slice(i + 2).some((x) => x.text === 'having'))
            return 'group-by-having';
        }
        if (
          t.text === 'having' &&
          (k.slice(i + 1, i + 4) === 'non' ||
            k.slice(i + 1, i + 4) === 'sos' ||
            (k[i + 1] === '(' && /[bo]/.test(k.slice(i + 2, i + 6))))
        )
          return 'having';
        if (t.text === 'case' && tokens.slice(i + 1, i + 8).some((x) => x.text === 'when')) {
          if (tokens.slice(i + 1, i + 16).some((x) => x.text === 'then')) return 'case-when';
        }
        // ) AS alias FROM   ` AS `x` from
        if (
          t.text === 'as' &&
          (k[i - 1] === ')' || k[i - 1] === 's' || (k[i - 1] === 'w' && i === 1) || (k[i - 1] === 'n' && i === 1)) &&
          (k[i + 1] === 'w' || k[i + 1] === 's' || k[i + 1] === 'k') &&
          tx(tokens, i + 2) === 'from'
        )
          return 'alias-from';
        if (t.text === 'values' && k[i + 1] === '(' && /^\([sn](,[sn])*\)/.test(k.slice(i + 1))) return 'values-list';
        if (t.text === 'into' && (tx(tokens, i + 1) === 'outfile' || tx(tokens, i + 1) === 'dumpfile'))
          return 'into-outfile';
        if (t.text === 'procedure' && tx(tokens, i + 1) === 'analyse') return 'procedure-analyse';
        if (t.text === 'waitfor') return 'waitfor';
        break;
      case ';':
        if (/^o?n$/.test(k.slice(0, i)) && (next === 'E' || tx(tokens, i + 1) === 'do')) return 'stacked-query';
        if (next === 'E') {
          if (tx(tokens, i + 1) === 'insert' && tx(tokens, i + 2) === 'into') return 'stacked-insert';
          const r = statement(tokens, k, i + 1, high);
          if (r) return `stacked-${r}`;
        } else if (next === 'k') {
          const w = tx(tokens, i + 1);
          const a = k[i + 2];
          if (
            (w === 'begin' && (a === 'E' || a === 'k' || a === ';' || a === undefined)) ||
            (w === 'if' && (a === '(' || tx(tokens, i + 2) === 'not' || tx(tokens, i + 2) === 'exists')) ||
            (w === 'set' && a === 'v')
          )
            return 'stacked-query';
        }
        break;
    }
  }
  // Tautologies and boolean tests after breaking out of a string or a number.
  const start = quoted ? 1 : 0;
  if (quoted && tokens.length >= 1) {
    const rest = k.slice(1);
    // admin'--   admin'#   '/*
    if (
      rest === '' &&
      comments > 0 &&
      trailingComment &&
      !/\s/.test(tokens[0]?.text ?? ' ') &&
      (lastComment?.text.length ?? 9) <= 5
    )
      return 'quote-comment';
    const lastS = tokens[tokens.length - 1];
    const shortEnd = rest !== 'bs' || (lastS?.closed === false && lastS.text.length <= 4);
    if (/^b[snw]o$/.test(rest)) return 'quote-comparison';
    if (
      /^o[osnwkvb()]*s$/.test(rest) &&
      /[b]|o[^o]*o/.test(rest) &&
      tokens.slice(2).some((t) => t.kind === 'b' || CMP.has(t.text)) &&
      (tokens[tokens.length - 1]?.text.length ?? 9) <= 4 &&
      tokens[tokens.length - 1]?.closed === false
    )
      return 'quote-expression';
    if (
      /^b?o+[(]*s$/.test(rest) &&
      tokens
        .slice(1)
        .every(
          (t) =>
            t.kind === 's' || t.kind === '(' || /^(?:not|sounds|like|rlike|regexp|is|in|mod|div|xor)$/.test(t.text),
        ) &&
      (tokens[tokens.length - 1]?.text.length ?? 9) <= 2
    )
      return 'quote-operator-word';
    if (
      /^o+[(]*[sn]/.test(rest) &&
      /^[osnb()]+$/.test(rest) &&
      rest.length <= 8 &&
      rest.includes('s') &&
      !['-', '/', ':', '+'].includes(tokens[1]?.text ?? '') &&
      (tokens[tokens.length - 1]?.text.length ?? 9) <= 4
    )
      return 'quote-operator-chain';
    if (
      tokens[1]?.text !== 'not' &&
      shortEnd &&
      /^[)]*b[(]*[snvwf][)]*(?:o+[(]*[snvwf(]|$)/.test(rest) &&
      (rest.includes('o') || comments > 0 || /^[)]*b[(]*[snv]/.test(rest))
    ) {
      if (boolOk(tokens, k, 1)) return 'quote-boolean';
    }
    const qop = tokens[1];
    if (rest === 'os' && qop && qop.kind === 'o' && !QUOTE_OPS.has(qop.text) && qop.text !== '-') {
      const last = tokens[2] as Token;
      if (last.closed === false && last.text.length <= 2) return 'quote-operator';
    }
    if (/^[(]+E/.test(rest) && tokens[rest.indexOf('E') + 1]?.text === 'select') return 'quote-subquery';
    if (rest.startsWith('o') && qop && QUOTE_OPS.has(qop.text)) {
      const last = tokens[tokens.length - 1] as Token;
      const shortTail = last.kind !== 's' || last.closed !== false || last.text.length <= 2;
      if (rest === 'os' && shortTail && (qop.text !== '-' || tokens[2]?.text === '')) return 'quote-operator';
      if (WORD_OPS.test(qop.text)) {
        if (/^o[snvf(]/.test(rest) && shortTail && (rest.length <= 3 || /[bo]/.test(rest.slice(2))))
          return 'quote-operator';
      } else if (
        (rest === 'os' && (qop.text === '=' || qop.text === '||') && shortTail) ||
        (/^os[bo;)]/.test(rest) && shortTail) ||
        /^o[(]*[fEv]/.test(rest) ||
        (/^o[nw]/.test(rest) && /[bo]/.test(rest.slice(2))) ||
        comments > 0
      )
        return 'quote-operator';
    }
    if (trailingComment && rest.length >= 2 && rest.length <= 4 && /^[)]*[ob]/.test(rest) && tokens[1]?.text !== '-')
      return 'quote-operator-comment';
    if (/^[)]*b[(]*f/.test(rest) && (trailingComment || rest.endsWith(';'))) return 'quote-function';
    if (rest.startsWith('k') && tokens[1]?.text === 'collate') return 'quote-collate';
    if (/^[)]*;/.test(rest) && rest.length > 1 && 'Ekbf('.includes(rest[rest.indexOf(';') + 1] ?? ''))
      return 'quote-stacked';
    if (
      /^s/.test(rest) &&
      (tokens[0]?.text === '' || tokens[1]?.text === '') &&
      (rest.length === 1 || rest[1] === 'o' || rest[1] === 'b')
    )
      return 'quote-quote';
    if (rest === 'os' && tokens[1]?.text === '-' && tokens[2]?.text === '') return 'quote-concat';
  }
  // 1 or 1=1, 1) and (1=1, -1 or true
  for (let i = start; i < tokens.length; i++) {
    if (k[i] !== 'b' || tokens[i]?.text === 'not') continue;
    const before = k[i - 1];
    if (!(before === 'n' || before === ')' || before === 's' || i === start || before === 'v' || before === 'w'))
      continue;
    if (before === 'w' && !high && !numericTest(tokens, k, i)) continue;
    if (!quoted && before === 's' && !high) continue;
    if (boolOk(tokens, k, i) && (quoted || high || tautology(tokens, k, i, comments > 0))) return 'boolean-test';
  }
  if (trailingComment && lastComment && !/[0-9]/.test(lastComment.text) && /^[(]*o?[nv][)]*(o[(]*[nv][)]*)*$/.test(k))
    return 'number-comment';
  if (comments > 0 && /[n)]u$/.test(k)) return 'union-comment';
  if (
    /^[(]+E/.test(k) &&
    tokens[k.indexOf('E')]?.text === 'select' &&
    (tokens.some((t) => t.text === 'from') || /^[nw]o/.test(k.slice(k.indexOf('E') + 1)))
  )
    return 'subquery';
  {
    const f = tokens.findIndex((t) => t.text === 'from');
    if (f !== -1 && k[f + 1] === 'w' && tx(tokens, f + 2) === 'where' && k[f + 3] === 'w' && k[f + 4] === 'o')
      return 'from-where';
  }
  // user(   CHR(   database (   : a bare call of a SQL function is a probe
  if (k === 'f(' && RISKY_FUNCTIONS.has(tokens[0]?.text ?? '')) return 'function-probe';
  if (
    !quoted &&
    /^(?:bno|b[sn]o[sn]?|bn)$/.test(k) &&
    (tokens[0]?.text === 'xor' || tokens[0]?.text === 'or') &&
    (k !== 'bn' || tokens.length === 2)
  )
    return 'boolean-fragment';
  if (/^[n]o[n]$/.test(k) && ['like', '<=>', '!=', '<>', '=', '==', 'rlike', 'regexp'].includes(tokens[1]?.text ?? ''))
    return 'constant-comparison';
  for (let i = 0; i + 2 < tokens.length; i++) {
    const a = tokens[i] as Token;
    const b = tokens[i + 2] as Token;
    if (
      a.kind === 's' &&
      b.kind === 's' &&
      k[i + 1] === 'o' &&
      CMP.has(tokens[i + 1]?.text ?? '') &&
      a.text.length <= 8 &&
      b.text.length <= 8 &&
      !quoted &&
      (i === 0 || k[i - 1] === ',' || k[i - 1] === 'b')
    )
      return 'string-comparison';
  }
  if (k[0] === ';' && k[1] === 'E' && k[2] === 'w') return 'stacked-statement';
  // " OR x=y--", "â or 1=1 --": a value that starts by joining a condition to the query's WHERE
  if (
    !quoted &&
    /^[wx]?b[(]*[wnsk][)]*o[(]*[wnsk][)]*$/.test(k) &&
    (trailingComment || /^b/.test(k)) &&
    CMP.has(tokens[k.indexOf('o')]?.text ?? '')
  )
    return 'leading-boolean';
  // 1 OR (1 OR 1)--   (1)or(1)=(1)   HOPE AND 1+2=3+4 : only numbers, operators and logic
  if (
    !quoted &&
    /b/.test(k) &&
    /^w?[nob()]+$/.test(k) &&
    (trailingComment || tokens.some((t) => t.kind === 'o' && CMP.has(t.text)))
  ) {
    const bi = k.indexOf('b');
    if (/[n)]/.test(k.slice(bi + 1)) && (bi === 0 || /[n)]/.test(k[bi - 1] ?? '') || k[bi - 1] === 'w'))
      return 'numeric-logic';
  }
  // ( (SELECT ( BINARY COS ( 'b'))) )  --   : a closed expression cut off by a comment
  if (trailingComment && /^[o]?[(]/.test(k) && /[)]$/.test(k) && /[fEob]/.test(k) && /[snvf]/.test(k))
    return 'expression-comment';
  if (trailingComment && /^[n;]*;E/.test(k) && tokens[k.indexOf('E')]?.text === 'drop') return 'stacked-drop';
  if (high) {
    if (comments > 0 && /[Eubo]/.test(k) && /[snv]/.test(k)) return 'comment-obfuscation';
    if (quoted && k.length >= 2 && 'bo'.includes(k[1] ?? '')) return 'quote-operator-weak';
  }
  return undefined;
}

/**
 * Outside a string, "1950 or 1960" and "1 + 1 = 2 and 2 + 2 = 4" are prose: ask for a test an
 * attacker would write: a risky call or subquery, or x op y ending the value (or before a comment).
 */
function tautology(tokens: Token[], k: string, i: number, commented: boolean): boolean {
  let j = i + 1;
  while (k[j] === '(' || tokens[j]?.text === 'not') j++;
  const a = tokens[j];
  if (a && ((a.kind === 'f' && RISKY_FUNCTIONS.has(a.text)) || (a.kind === 'E' && a.text === 'select'))) return true;
  if (a && a.kind === 'k' && (a.text === 'true' || a.text === 'false') && j + 1 >= k.length) return true;
  const op = tokens[j + 1];
  if (op?.text === 'is' && tokens[j + 2]?.text === 'not') j++;
  if (
    !op ||
    op.kind !== 'o' ||
    !['=', '<>', '!=', 'like', 'is', 'in', 'between', 'rlike', 'regexp', '<=>', '>', '<'].includes(op.text)
  )
    return commented && !op;
  if ((op.text === 'in' || op.text === 'between') && k[j + 2] !== '(') return false;
  let m = j + 3;
  while (k[m] === ')') m++;
  return (
    m >= k.length ||
    k[m] === 'b' ||
    k[m] === ';' ||
    k[m] === 'u' ||
    (k[m] === 'k' && ['order', 'group', 'limit', 'having'].includes(tokens[m]?.text ?? '')) ||
    commented
  );
}

function skipUnary(tokens: readonly Token[], k: string, j: number): number {
  while (k[j] === '(' || k[j] === ')' || tokens[j]?.text === '-' || tokens[j]?.text === '~') j++;
  return j;
}

/** After a word (HOPE AND 8=3) only a numeric or identical-operand comparison counts. */
function numericTest(tokens: Token[], k: string, i: number): boolean {
  const j = skipUnary(tokens, k, i + 1);
  const a = tokens[j];
  let o = j + 1;
  while (k[o] === ')') o++;
  const op = tokens[o];
  const m = skipUnary(tokens, k, o + 1);
  const b = tokens[m];
  if (!a || !op || !b || op.kind !== 'o') return false;
  return (a.kind === 'n' && b.kind === 'n') || (a.text === b.text && a.kind !== 'o');
}

/** A boolean operator at `i` followed by a comparison or a constant test (1=1, 'a'='a, true, sleep(). */
function boolOk(tokens: Token[], k: string, i: number): boolean {
  let j = i + 1;
  while (k[j] === '(') j++;
  while (
    tokens[j]?.text === 'not' ||
    tokens[j]?.text === '!' ||
    tokens[j]?.text === '-' ||
    tokens[j]?.text === '+' ||
    tokens[j]?.text === '~'
  )
    j++;
  const a = tokens[j];
  if (!a) return false;
  if (a.kind === 'f' && RISKY_FUNCTIONS.has(a.text)) return true;
  if (a.kind === 'E' && a.text === 'select') return true;
  if (!VALUE_KINDS.includes(a.kind) && a.kind !== 'k') return false;
  if (a.kind === 'k' && !['true', 'false', 'null', 'user', 'database', 'schema'].includes(a.text)) return false;
  let m = j + 1;
  // a qualified name: members.email
  while (k[m] === '.' && (k[m + 1] === 'w' || k[m + 1] === 'k')) m += 2;
  while (k[m] === ')') m++;
  const op = tokens[m];
  // end of input right after a constant: ' or 1   ' or true
  if (!op)
    return (
      (a.kind === 'n' || a.kind === 'k' || (a.kind === 's' && a.closed === false && a.text.length <= 4)) &&
      tokens.length <= 6
    );
  if (a.kind === 's' && op.kind === 's') return true;
  if (op.kind === 'o' || op.kind === 'w') {
    if (op.kind === 'w' && op.text !== 'glob') return false;
    const b = tokens[m + 1];
    if (!b) return false;
    if (
      op.text === 'like' ||
      op.text === 'rlike' ||
      op.text === 'regexp' ||
      op.text === 'is' ||
      op.text === 'in' ||
      op.text === 'between'
    ) {
      return (
        b.kind === 'b' ||
        b.kind === 's' ||
        b.kind === 'n' ||
        b.kind === '(' ||
        b.kind === 'k' ||
        b.kind === 'o' ||
        b.kind === 'v'
      );
    }
    if (a.kind === 'w' && b.kind === 'w') return a.text === b.text;
    return VALUE_KINDS.includes(b.kind) || b.kind === 'o' || b.kind === 'k';
  }
  if (op.kind === ';' || op.kind === 'b')
    return a.kind === 'n' || a.kind === 's' || a.kind === 'k' || (a.kind === 'w' && tokens[m + 1]?.kind === 's');
  return false;
}

/** SQL statement shapes starting at a statement keyword. */
function statement(tokens: Token[], k: string, i: number, high: boolean): string | undefined {
  const t = tokens[i];
  if (!t) return undefined;
  switch (t.text) {
    case 'select': {
      let j = i + 1;
      while (
        tx(tokens, j) === 'distinct' ||
        tx(tokens, j) === 'all' ||
        tx(tokens, j) === 'top' ||
        (k[j] === 'n' && tx(tokens, j - 1) === 'top')
      )
        j++;
      const first = k[j];
      if (first === undefined) return undefined;
      if (first === 'f' || first === 'v' || tx(tokens, j) === '*' || first === 'E') return 'select-expr';
      if (first === '(' && 'Enfsv'.includes(k[j + 1] ?? '-')) return 'select-expr';
      if (
        (first === 'w' || first === 'k') &&
        RISKY_FUNCTIONS.has(tx(tokens, j)) &&
        /^[;)]?$/.test(k.slice(j + 1, j + 2)) &&
        (k[j + 1] === undefined || k[j + 1] === ';')
      )
        return 'select-function';
      if (first === 'o' && 'nfs('.includes(k[j + 1] ?? '-') && tokens.slice(j).some((x) => x.text === 'from'))
        return 'select-expr';
      if (first === 'n' || first === 's') {
        const after = k[j + 1];
        if (
          after === undefined ||
          after === ',' ||
          after === 'k' ||
          after === 'o' ||
          after === ';' ||
          after === ')' ||
          after === 'u' ||
          after === 'b'
        )
          return 'select-const';
      }
      // select a, b from t   select a from t where   select id,sin((1)),2 from bar
      let m = j;
      let items = 0;
      while (m < k.length && m < j + 48) {
        if (k[m] === 'o' && tx(tokens, m) !== '*') m++;
        const kind = k[m];
        if (kind === '(' || kind === 'f') {
          if (kind === 'f') m++;
          let depth = 0;
          do {
            if (k[m] === '(') depth++;
            else if (k[m] === ')') depth--;
            m++;
          } while (depth > 0 && m < k.length);
          items++;
        } else if (
          kind === 'w' ||
          kind === 'n' ||
          kind === 's' ||
          kind === 'v' ||
          (kind === 'k' && tx(tokens, m) !== 'from') ||
          tx(tokens, m) === '*'
        ) {
          items++;
          m++;
          if (k[m] === '.' && k[m + 1] === 'w') m += 2;
        } else break;
        if (tx(tokens, m) === 'as' && (k[m + 1] === 'w' || k[m + 1] === 's')) m += 2;
        if (k[m] === ',') {
          m++;
          continue;
        }
        break;
      }
      if (items > 0 && tx(tokens, m) === 'from') {
        const after = k[m + 1];
        const end = k[m + 2];
        if (after === 'w' || after === '(') {
          if (items > 1 || end === undefined || end === 'k' || end === '.' || end === ';' || end === ')' || high)
            return 'select-from';
          if (tx(tokens, m + 2) === 'where' || tx(tokens, m + 2) === 'limit' || tx(tokens, m + 2) === 'order')
            return 'select-from';
        }
      }
      return undefined;
    }
    case 'insert':
      if (tx(tokens, i + 1) === 'into' && (k[i + 2] === 'w' || k[i + 2] === 'v')) return 'insert-into';
      return undefined;
    case 'update':
      if (k[i + 1] === 'w' && tx(tokens, i + 2) === 'set' && k[i + 3] === 'w' && tx(tokens, i + 4) === '=')
        return 'update-set';
      return undefined;
    case 'delete':
      if (tx(tokens, i + 1) === 'from' && k[i + 2] === 'w') return 'delete-from';
      return undefined;
    case 'drop':
    case 'create':
    case 'alter':
    case 'truncate':
      if (
        DDL_OBJECTS.has(tx(tokens, i + 1)) &&
        (k[i + 2] === 'w' || k[i + 2] === 'v' || k[i + 2] === 'f' || tx(tokens, i + 2) === 'if')
      )
        return `ddl-${t.text}`;
      if (t.text === 'drop' && k[i + 1] === 'w' && k[i + 2] === ';') return 'ddl-drop';
      return undefined;
    case 'exec':
    case 'execute':
      if (k[i + 1] === 'w' && /^(?:xp_|sp_|master|immediate$)/.test(tx(tokens, i + 1))) return 'exec-proc';
      if (k[i + 1] === 'v' || k[i + 1] === '(' || (k[i + 1] === 'k' && tx(tokens, i + 1) === 'master')) return 'exec';
      if (high && k[i + 1] === 'w') return 'exec';
      return undefined;
    case 'declare':
      if (k[i + 1] === 'v') return 'declare';
      return undefined;
    case 'shutdown':
      if (i + 1 >= k.length || tx(tokens, i + 1) === 'with' || k[i + 1] === ';') return 'shutdown';
      return undefined;
    case 'grant':
    case 'revoke':
      // GRANT dba TO name / REVOKE x FROM name (not "Grant Ronaldo access to ...")
      if (k[i + 1] === 'w' && (tx(tokens, i + 2) === 'to' || tx(tokens, i + 2) === 'from') && k[i + 3] === 'w')
        return `dcl-${t.text}`;
      return undefined;
    case 'waitfor':
      if (tx(tokens, i + 1) === 'delay' || tx(tokens, i + 1) === 'time') return 'waitfor';
      return undefined;
    default:
      return high && i > 0 && k[i - 1] === ';' ? `stacked-${t.text}` : undefined;
  }
}
