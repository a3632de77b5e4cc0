import { Writable } from 'node:stream';
import pino from 'pino';

/** A pino logger whose JSON lines are kept in memory, parsed (StartOptions.logger). */
export function captureLog(level = 'debug'): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level }, sink), lines };
}
