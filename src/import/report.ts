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

export class ImportReport {
  readonly notes: ImportNote[] = [];

  unsupported(pointer: string, feature: string, reason: string): void {
    this.notes.push({ pointer, feature, level: 'unsupported', reason });
  }

  approximated(pointer: string, feature: string, reason: string): void {
    this.notes.push({ pointer, feature, level: 'approximated', reason });
  }

  get hasUnsupported(): boolean {
    return this.notes.some((n) => n.level === 'unsupported');
  }

  format(): string {
    if (!this.notes.length) return 'import report: everything was mapped';
    return [
      `import report: ${this.notes.length} note${this.notes.length === 1 ? '' : 's'}`,
      ...this.notes.map((n) => `  ${n.level.padEnd(12)} ${n.pointer}  ${n.feature}: ${n.reason}`),
    ].join('\n');
  }
}

/** RFC 6901 pointer from path segments. */
export function pointer(...segments: (string | number)[]): string {
  return segments.map((s) => `/${String(s).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}
