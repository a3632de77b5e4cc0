/**
 * The nesting bound for every body Portico parses (validation, WAF jsonBody, the admin API):
 * server.limits.maxJsonDepth. `JSON.parse` of a deeply nested body costs seconds of CPU and the
 * recursive consumers after it (ajv, the WAF's walk) can overflow the stack; a single linear pass
 * over the bytes refuses such a body before any parse. See docs/security.md#bodies-portico-parses.
 */

const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \
const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACKET = 0x5d; // ]
const OPEN_BRACE = 0x7b; // {
const CLOSE_BRACE = 0x7d; // }

/** The default of server.limits.maxJsonDepth. */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/**
 * True when `[`/`{` nest deeper than `maxDepth` anywhere outside strings (`[]` is depth 1). One pass,
 * no allocation, stops at the first byte past the bound. It does not check that the text is JSON (the
 * parse that follows does): strings and escapes are tracked as JSON delimits them, so up to the first
 * syntax error the count is the nesting the parser would build; a closer at depth 0 is ignored.
 */
export function exceedsJsonDepth(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const b = bytes[i] as number;
    if (inString) {
      if (b === BACKSLASH)
        i++; // the escaped byte (\" or \\) never ends or starts anything
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_BRACKET || b === OPEN_BRACE) {
      if (++depth > maxDepth) return true;
    } else if ((b === CLOSE_BRACKET || b === CLOSE_BRACE) && depth > 0) depth--;
  }
  return false;
}
