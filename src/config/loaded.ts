import type { ConfigIssue, ConfigPath } from './errors.js';
import type { PorticoConfig } from './schema.js';

/** An API entry defined by an OpenAPI document (`apis[index].openapi: entry`, `file` its absolute path). */
export interface OpenApiSource {
  readonly index: number;
  readonly entry: string;
  readonly file: string;
}

/** A validated config file (src/config/load.ts makes it), as compile and the services see it. A leaf: types only. */
export interface LoadedConfig {
  readonly config: PorticoConfig;
  /** Absolute path of the file, or a label for in-memory text. */
  readonly file: string;
  /** Directory relative paths in the file are resolved against. */
  readonly dir: string;
  /** The config text as read (a deployment records it: src/deployments/); absent for configs built in code. */
  readonly text?: string;
  /** sha256 of the file text; a reload of identical text is a no-op. */
  readonly hash: string;
  /** Turns a config path into an issue with line:column. */
  readonly issue: (path: ConfigPath, message: string) => ConfigIssue;
  /** Not errors, but worth logging: what `apis[].openapi` documents could not map (config/openapi-apis.ts). */
  readonly warnings: readonly string[];
  /** The `apis[].openapi` documents imported, checked structurally after the load (config/openapi-apis.ts). */
  readonly openapiSources?: readonly OpenApiSource[];
}
