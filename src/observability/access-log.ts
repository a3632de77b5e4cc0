import { resolve } from 'node:path';
import pino from 'pino';
import type { Logger } from '../logger.js';
import type { RequestContext, Snapshot } from '../pipeline/context.js';
import type { Service } from '../services.js';
import { compileAccessLogFormat, type Formatter, jsonLine } from './access-log-format.js';
import { finishTime } from './finish.js';
import type { AccessLogConfig } from './schema.js';

/**
 * Access logs: one line per request, built after the response in a requestDone hook and handed to a
 * SonicBoom (pino.destination, buffer mode) that writes asynchronously in batches. Nothing secret is in a line:
 * no request headers at all, the API key only as its key id, the path without its query string.
 */

/** How long a line may wait in the buffer when traffic is too low to fill a batch. */
const FLUSH_EVERY_MS = 1000;

/** A SonicBoom in buffer mode: it takes Buffers (its types only know its default string mode). */
type Destination = Omit<ReturnType<typeof pino.destination>, 'write'> & { write(line: Buffer): boolean };

export class AccessLogService implements Service {
  #log: Logger;
  #configDir: string;
  #format: Formatter = jsonLine;
  #dest: Destination | undefined;
  #destination = '';
  #enabled = false;
  #hooks: ((ctx: RequestContext) => void)[];
  #onSigusr1 = () => this.reopen();
  #flushTimer: NodeJS.Timeout | undefined;

  constructor(hooks: ((ctx: RequestContext) => void)[], log: Logger, configDir: string) {
    this.#hooks = hooks;
    this.#log = log;
    this.#configDir = configDir;
  }

  /** The requestDone hook. */
  readonly write = (ctx: RequestContext): void => {
    finishTime(ctx);
    // Buffer mode: SonicBoom's string mode measures the whole pending string (Buffer.byteLength) on every
    // write and re-encodes what it wrote on every completion, ~15% of a request's CPU at 8,000 lines/s.
    this.#dest?.write(Buffer.from(`${this.#format(ctx)}\n`));
  };

  /** Applies a (new) config. Throws on an invalid format; schema compile checks it first. */
  configure(cfg: AccessLogConfig, configDir = this.#configDir): void {
    this.#configDir = configDir;
    const f = compileAccessLogFormat(cfg.format);
    if ('errors' in f) throw new Error(f.errors.join('; '));
    this.#format = f;
    const destination = cfg.enabled ? cfg.destination : '';
    if (destination !== this.#destination) {
      void this.#closeDest();
      this.#destination = destination;
      if (destination) this.#dest = this.#open(destination);
    }
    const on = cfg.enabled;
    if (on !== this.#enabled) {
      this.#enabled = on;
      const i = this.#hooks.indexOf(this.write);
      if (on && i === -1) this.#hooks.push(this.write);
      if (!on && i !== -1) this.#hooks.splice(i, 1);
    }
  }

  #open(destination: string): Destination {
    const toFile = destination !== 'stdout' && destination !== 'stderr';
    const dest = pino.destination({
      dest: toFile ? resolve(this.#configDir, destination) : destination === 'stdout' ? 1 : 2,
      sync: false,
      mkdir: toFile,
      // Batches lines into one write of 16 KB or more (~25 JSON lines: at one write per ~25 lines the
      // writes were still ~5 % of a request's CPU under load); what is buffered goes out within
      // FLUSH_EVERY_MS at low traffic, and on reopen and close.
      minLength: 16384,
      maxWrite: 65536,
      contentMode: 'buffer',
    }) as unknown as Destination;
    dest.on('error', (err: Error) => this.#log.error({ err, destination }, 'access log write failed'));
    clearInterval(this.#flushTimer);
    this.#flushTimer = setInterval(() => this.#dest?.flush(), FLUSH_EVERY_MS).unref();
    if (toFile) process.on('SIGUSR1', this.#onSigusr1);
    return dest;
  }

  onSnapshot(snapshot: Snapshot): void {
    this.configure(snapshot.config.observability.accessLog, snapshot.loaded.dir);
  }

  /** After logrotate moved the file: write to a new file at the same path. */
  reopen(): void {
    const dest = this.#dest;
    if (!dest || this.#destination === 'stdout' || this.#destination === 'stderr') return;
    try {
      dest.reopen();
      this.#log.info({ destination: this.#destination }, 'access log reopened');
    } catch (err) {
      this.#log.error({ err }, 'access log reopen failed');
    }
  }

  /** Resolves once every line written so far is on its way to the file or stdout. */
  flush(): Promise<void> {
    const dest = this.#dest;
    if (!dest) return Promise.resolve();
    return new Promise((r) => dest.flush(() => r()));
  }

  /** Flushes what is buffered; a file is then closed, stdout/stderr stay open. */
  #closeDest(): Promise<void> {
    const dest = this.#dest;
    this.#dest = undefined;
    clearInterval(this.#flushTimer);
    this.#flushTimer = undefined;
    process.off('SIGUSR1', this.#onSigusr1);
    if (!dest) return Promise.resolve();
    const toFile = this.#destination !== 'stdout' && this.#destination !== 'stderr';
    return new Promise<void>((r) => {
      if (toFile) {
        dest.once('close', () => r());
        dest.end();
      } else dest.flush(() => r());
    });
  }

  close(): Promise<void> {
    const i = this.#hooks.indexOf(this.write);
    if (i !== -1) this.#hooks.splice(i, 1);
    return this.#closeDest();
  }
}
