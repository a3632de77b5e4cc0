import { isUtf8 } from 'node:buffer';

/**
 * Binary media types, as AWS REST APIs use them (DG:api-gateway-payload-encodings): a request body whose
 * Content-Type matches goes to the function base64-encoded; a base64 response body is decoded when the
 * request's Accept (its first type, reference §1.4) matches. Types may use "*" wildcards; "*\/*" matches all.
 */
export class BinaryMediaTypes {
  readonly #patterns: RegExp[];

  constructor(types: readonly string[]) {
    this.#patterns = types.map(
      (t) =>
        new RegExp(
          `^${t
            .toLowerCase()
            .replace(/[.+^${}()|[\]\\/?]/g, '\\$&')
            .replace(/\*/g, '[^/]*')}$`,
        ),
    );
  }

  get isEmpty(): boolean {
    return this.#patterns.length === 0;
  }

  /** Does a Content-Type / media range (parameters ignored) match one of the types? */
  matches(mediaType: string | undefined): boolean {
    if (!mediaType || this.#patterns.length === 0) return false;
    const t = (mediaType.split(';')[0] as string).trim().toLowerCase();
    if (!t) return false;
    return this.#patterns.some((p) => p.test(t));
  }

  /** AWS looks at the first type of Accept only. */
  matchesAccept(accept: string | undefined): boolean {
    if (!accept) return false;
    return this.matches(accept.split(',')[0]);
  }
}

const TEXT =
  /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded|graphql|ld\+json|[a-z0-9.+-]*\+(json|xml)))/i;

/** Should a request body reach the function base64-encoded? */
export function isBinaryBody(
  body: Buffer,
  contentType: string | undefined,
  binary: BinaryMediaTypes,
  apiType: 'rest' | 'http',
): boolean {
  if (body.length === 0) return false;
  if (binary.matches(contentType)) return true;
  // HTTP APIs encode every body that is not a known text type; both encode what is not valid UTF-8.
  if (apiType === 'http' && contentType && !TEXT.test(contentType.trim())) return true;
  return !isUtf8(body);
}
