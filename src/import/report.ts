/**
 * What an importer could not map, by JSON pointer into the source document. Nothing is dropped
 * silently: every skipped or approximated feature is listed with a reason.
 */
export interface ImportNote {
  /** RFC 6901 pointer into the source, e.g. /paths/~1pets/get/x-amazon-apigateway-integration. */
  pointer: string;
  /** The feature, e.g. "x-amazon-apigateway-integration type aws". */
  feature: string;
  /** "unsupported" = left out; "approximated" = mapped with a difference the reason explains. */
  level: 'unsupported' | 'approximated';
  reason: string;
}

/** A route (or method, or event) the import left out, and the unsupported notes that say why. */
export interface LeftOutRoute {
  /** The route key (`GET /pets/{id}`), or the source's name for it when no key could be made. */
  route: string;
  pointer: string;
  reasons: string[];
}

/** What an importer mapped, where the mapping is not obvious from the output (load balancers, stacks linked). */
export interface MappedNote {
  pointer: string;
  feature: string;
  /** What it became, e.g. "upstream books: 2 targets from --target books". */
  what: string;
}

export class ImportReport {
  readonly notes: ImportNote[] = [];
  /** Routes the import left out: `portico import` refuses to write such a config without --allow-partial. */
  readonly leftOut: LeftOutRoute[] = [];
  readonly mappedNotes: MappedNote[] = [];

  mapped(pointer: string, feature: string, what: string): void {
    this.mappedNotes.push({ pointer, feature, what });
  }

  unsupported(pointer: string, feature: string, reason: string): void {
    this.notes.push({ pointer, feature, level: 'unsupported', reason });
  }

  approximated(pointer: string, feature: string, reason: string): void {
    this.notes.push({ pointer, feature, level: 'approximated', reason });
  }

  /**
   * Records that `route` was left out. Its reasons are the unsupported notes added since `from`
   * (`notes.length` before the route was mapped).
   */
  leaveOut(route: string, at: string, from: number): void {
    const reasons = this.notes
      .slice(from)
      .filter((n) => n.level === 'unsupported')
      .map((n) => `${n.pointer ? `${n.pointer} ` : ''}${n.feature}: ${n.reason}`);
    this.leftOut.push({ route, pointer: at, reasons });
  }

  get hasUnsupported(): boolean {
    return this.notes.some((n) => n.level === 'unsupported');
  }

  format(): string {
    const mapped = this.mappedNotes.map((n) => `  ${'mapped'.padEnd(12)} ${n.pointer}  ${n.feature}: ${n.what}`);
    if (!this.notes.length) return ['import report: everything was mapped', ...mapped].join('\n');
    return [
      `import report: ${this.notes.length} note${this.notes.length === 1 ? '' : 's'}`,
      ...mapped,
      ...this.notes.map((n) => `  ${n.level.padEnd(12)} ${n.pointer}  ${n.feature}: ${n.reason}`),
    ].join('\n');
  }
}

/** RFC 6901 pointer from path segments. */
export function pointer(...segments: (string | number)[]): string {
  return segments.map((s) => `/${String(s).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}
