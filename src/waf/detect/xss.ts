import type { Sensitivity } from './sqli.js';

/**
 * Looks for cross-site scripting in one value, the way libinjection's XSS check does it: read the
 * value as HTML (tags, attribute names, attribute values, URL schemes) and flag the parts a browser
 * would run, rather than matching one big regular expression. Returns the reason, or undefined.
 */
export function detectXss(raw: string, sensitivity: Sensitivity = 'LOW'): string | undefined {
  if (raw.length < 3 && !raw.includes('<')) return undefined;
  let s = raw.length > 8192 ? raw.slice(0, 8192) : raw;
  // Fullwidth ＜script＞ and friends fold to ASCII; NULs and most controls are dropped by browsers.
  if (/[^\x00-\x7f]/.test(s)) s = s.normalize('NFKC');
  s = s.replace(/[\0-\x08\x0e-\x1f\x7f]/g, '').toLowerCase();
  const high = sensitivity === 'HIGH';
  return scanTags(s, high) ?? scanAttributes(s, high) ?? scanScript(s, high);
}

/** Attributes that load or run something whatever their value. */
const RISKY_ATTRS =
  /(?:^|[\s/"'`])(?:formaction|srcdoc|datasrc|dataformatas|xlink:href|ev:handler|ev:event|attributename|dirname|folder|xmlns:xlink|xmlns:ev|xmlns:xi|seamless|autofocus)\s*=?/;
/** Form controls: injected, they phish or steal autofill. */
const FORM_TAGS = new Set([
  'input',
  'form',
  'button',
  'textarea',
  'select',
  'keygen',
  'label',
  'fieldset',
  'output',
  'isindex',
]);

/** Tags a value should never carry. */
const DANGEROUS_TAGS = new Set([
  'script',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'base',
  'style',
  'xss',
  'import',
  'isindex',
  'meta',
  'link',
  'xml',
  'svg',
  'math',
  'vmlframe',
  'animate',
  'set',
  'handler',
  'listener',
  'template',
  'portal',
  'noscript',
  'noembed',
  'xmp',
  'plaintext',
  'bgsound',
  'layer',
  'ilayer',
  'comment',
  'marquee',
  'form',
  'isindex',
  'video',
  'audio',
  'image',
  'body',
  'html',
  'title',
  'textarea',
  'button',
  'input',
  'img',
  'details',
  'keygen',
  'source',
  'track',
  'foreignobject',
  'use',
  'a',
  'iframe2',
  'x',
  'table',
  'td',
  'div',
  'span',
  'p',
  'br',
  'option',
  'select',
  'object',
  'param',
  'picture',
  'feimage',
  'animatetransform',
  'animatemotion',
  'discard',
  'script2',
]);
/** Of those, the ones dangerous with no attribute at all. */
const ALWAYS = new Set([
  'script',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'xss',
  'import',
  'isindex',
  'vmlframe',
  'bgsound',
  'layer',
  'ilayer',
  'plaintext',
  'xmp',
  'noscript',
  'noembed',
  'portal',
  'foreignobject',
  'handler',
  'listener',
  'style',
  'base',
  'meta',
  'link',
  'template',
  'comment',
]);
const URL_ATTRS =
  /(?:^|[\s/"'`])(?:href|src|action|formaction|data|xlink:href|background|dynsrc|lowsrc|poster|srcdoc|code|codebase|values|to|from|by|content|url|value|xmlns|folder|datasrc|ping|manifest|icon|profile|cite|longdesc|usemap|classid|archive|style|attributename|begin|xml:base|repeat)\s*=\s*/g;
const SCRIPT_SCHEME =
  /^[\s"'`]*(?:(?:j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t|v\s*b\s*s\s*c\s*r\s*i\s*p\s*t|l\s*i\s*v\s*e\s*s\s*c\s*r\s*i\s*p\s*t|m\s*o\s*c\s*h\s*a)\s*:|d\s*a\s*t\s*a\s*:\s*(?:text\/html|image\/svg|application\/(?:x-)?(?:javascript|ecmascript|xhtml)|text\/(?:x-)?(?:javascript|ecmascript|xml|scriptlet))|data\s*:[^,]*;\s*base64)/;
/** on<event>= preceded by a boundary a browser would accept between attributes, with a value. */
const EVENT_HANDLER = /(?:^|[\s/"'`;>+])on[a-z]{3,40}\s*=\s*(?:[^\s>]|$)/;
const EVENT_HANDLER_VALUE = /(?:^|[\s/"'`;>+])on[a-z]{3,40}\s*=\s*[^\s>&]/;
const CSS_ATTACK =
  /expression\s*(?:\(|\\)|url\s*\(|[}\\]|\/\*|&#|-moz-binding|behavior\s*:|url\s*\(\s*['"]?\s*(?:javascript|vbscript|data):|@import|javascript:|\\0{0,4}6a\\?0{0,4}61/;

function scanTags(s: string, high: boolean): string | undefined {
  let i = s.indexOf('<');
  while (i !== -1) {
    const next = s[i + 1] ?? '';
    if (next === '!' || next === '?' || next === '%') {
      // <!-- --> <![CDATA[ <!DOCTYPE <?xml <% %>: harmless alone, but scripts hide in them
      if (s.startsWith('<!entity', i) || (s.startsWith('<!doctype', i) && s.includes('<!entity', i)))
        return 'xml-entity';
      if (
        next === '?' &&
        (s.startsWith('<?import', i) || s.startsWith('<?xml-stylesheet', i) || s.startsWith('<?xml:namespace', i))
      )
        return 'xml-pi';
      if (next === '!' && s.startsWith('<!--', i)) return 'html-comment';
      if (next === '!' && s.startsWith('<!doctype', i) && s.includes('[', i)) return 'doctype-subset';
      if (next === '%' && /<%=?\s*[a-z]/.test(s.slice(i, i + 8)) && high) return 'server-tag';
    } else {
      const m = /^<\/?\s*([a-z][a-z0-9:_-]*)/.exec(s.slice(i, i + 48));
      if (m) {
        const full = m[1] as string;
        const name = full.includes(':') ? full.slice(full.indexOf(':') + 1) : full;
        if (full !== name && /^(?:svg|xml|html|math|xsl|vml|v|o|xss|t|xi)$/.test(full.slice(0, full.indexOf(':'))))
          return `tag-ns-${full}`;
        if (!s.startsWith('/', i + 1) && (name === 'html' || name === 'body' || name === 'head' || name === 'xml'))
          return `tag-${name}`;
        const end = findTagEnd(s, i + m[0].length);
        const attrs = s.slice(i + m[0].length, end);
        const closing = s[i + 1] === '/';
        if (!closing && ALWAYS.has(name)) {
          // "<style>" or "<meta " as words in prose are still tags to a browser, but "<b> tag" is not in this list.
          if (attrs.length > 0 || s[i + m[0].length] === '>' || end === s.length) return `tag-${name}`;
        }
        if (
          closing &&
          (name === 'script' || name === 'style' || name === 'title' || name === 'textarea' || name === 'noscript') &&
          high
        )
          return `close-${name}`;
        if (
          !closing &&
          (name === 'svg' || name === 'math') &&
          (attrs.trim() !== '' || /^>\s*<[a-z]/.test(s.slice(end, end + 3)))
        )
          return `tag-${name}`;
        if (!closing && attrs.trim() && FORM_TAGS.has(name)) return `tag-${name}`;
        if (!closing && attrs) {
          if (EVENT_HANDLER.test(attrs)) return `event-handler-${name}`;
          if (RISKY_ATTRS.test(attrs)) return `risky-attr-${name}`;
          const url = urlAttr(attrs);
          if (url) return `${url}-${name}`;
          if (DANGEROUS_TAGS.has(name) && /\bstyle\s*=/.test(attrs) && CSS_ATTACK.test(attrs)) return 'style-attack';
          if (high && DANGEROUS_TAGS.has(name) && /=/.test(attrs)) return `tag-attr-${name}`;
        }
        if (high && !closing && DANGEROUS_TAGS.has(name) && name.length > 1) return `tag-${name}`;
      }
    }
    i = s.indexOf('<', i + 1);
  }
  return undefined;
}

/** End of a tag's attribute text: the next ">" outside quotes, or the end of input. */
function findTagEnd(s: string, from: number): number {
  let q = '';
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (q) {
      if (c === q) q = '';
    } else if (c === '"' || c === "'" || c === '`') q = c;
    else if (c === '>') return i;
  }
  return s.length;
}

function urlAttr(attrs: string): string | undefined {
  URL_ATTRS.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = URL_ATTRS.exec(attrs)) !== null) {
    const rest = attrs.slice(m.index + m[0].length, m.index + m[0].length + 200);
    if (SCRIPT_SCHEME.test(rest)) return 'script-url';
    if (/style\s*=\s*$/.test(m[0]) && CSS_ATTACK.test(rest)) return 'style-attack';
  }
  return undefined;
}

/** Attribute injection into an existing tag: `" onmouseover=alert(1) x="`, `javascript:` URLs. */
function scanAttributes(s: string, high: boolean): string | undefined {
  if (SCRIPT_SCHEME.test(s)) return 'script-url';
  if (/["'`]\s*(?:on[a-z]{3,40}|formaction|srcdoc|xlink:href)\s*=/.test(s)) return 'attribute-breakout';
  if (/-moz-binding|[:=]\s*expression\s*(?:\(|\\)/.test(s)) return 'css-expression';
  if (s.includes('+adw-') || s.includes('+ad4-')) return 'utf7';
  if (/(?:!\[\][^!]*){2}/.test(s) || /\(document\)\s*\[/.test(s)) return 'js-obfuscation';
  if (/(?:^|[\s"'`=(?#,:;/])(?:j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t|v\s*b\s*s\s*c\s*r\s*i\s*p\s*t)\s*:/.test(s))
    return 'script-url';
  // A value that is nothing but "<" (it arrived encoded: &#x3c; %3C \x3c) probes whether input is reflected.
  if (/^\s*<\s*$/.test(s)) return 'angle-probe';
  const ev = EVENT_HANDLER_VALUE.exec(s);
  if (ev) {
    // Only after a quote or tag-ish context ("x" onload=...), or when the handler value calls something.
    const after = s.slice(ev.index + ev[0].length - 1, ev.index + ev[0].length + 120);
    if (/["'`]/.test(s.slice(0, ev.index + 1)) || /[(`=.[]/.test(after) || high) return 'event-handler';
  }
  if (URL_ATTRS.test(s) && urlAttr(` ${s}`)) return 'script-url-attr';
  if (/\bstyle\s*=/.test(s) && CSS_ATTACK.test(s)) return 'style-attack';
  return undefined;
}

const SINKS =
  /(?:^|[^a-z0-9_$])(?:alert|prompt|confirm|eval|settimeout|setinterval|execscript|msgbox|fromcharcode|atob|unescape|import|function|constructor)\s*(?:\(|`|\.call|\.apply|\[)|document\s*\.\s*(?:cookie|domain|write|location|body|forms|createelement)|window\s*\.\s*(?:location|open|name)|(?:top|self|parent|window|this|globalthis)\s*\[\s*['"`]|\.innerhtml\s*=|location\s*(?:\.href)?\s*=|string\s*\.\s*fromcharcode|\{\{.*constructor|\$\{.*(?:alert|eval|constructor)|<\s*\/?\s*script|-->\s*<|\]\]>\s*</;

/** Script with no tag around it: alert(1) after a quote or bracket break, sinks, template injection. */
function scanScript(raw: string, high: boolean): string | undefined {
  const s = raw.includes('/*') ? raw.replace(/\/\*.*?\*\//g, '') : raw;
  if (
    /\$\{\s*(?:alert|prompt|confirm|eval|navigation|constructor)|reflect\s*\.\s*(?:apply|construct)|navigation\s*\.\s*navigate|\.\s*tostring\s*\(\s*3\d\s*\)/.test(
      s,
    )
  )
    return 'script-sink';
  if (/(?:^|[(=,[])\s*(?:alert|prompt|confirm|eval)\s*[),\]]/.test(s)) return 'script-reference';
  const m = SINKS.exec(s);
  if (!m) return undefined;
  // "javascript alert vs console.log" is a question, not a call: ask for call syntax.
  if (/alert|prompt|confirm/.test(m[0]) && !/[(`]/.test(m[0])) return undefined;
  if (high) return 'script-sink';
  // A call needs something around it that breaks out of a value: a quote, a bracket, a semicolon, a tag.
  const before = s.slice(0, m.index + 1);
  if (
    /document|window|location|fromcharcode|innerhtml|constructor|\{\{|\$\{|script|-->|\]\]>|top|self|parent|this/.test(
      m[0],
    )
  )
    return 'script-sink';
  if (/["'`;)(}<>=+|&\\]/.test(before) || m.index === 0 || /^\s*(?:alert|prompt|confirm|eval)/.test(s))
    return 'script-call';
  return undefined;
}
