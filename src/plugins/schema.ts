import { z } from 'zod';
import type { Fields } from '../config/schema.js';

/**
 * The `plugins` root key (docs/plugins.md): user plugin files, each loaded like a built-in feature.
 * The config type of a plugin is its own `configSchema`; here `config` is any mapping, checked at load.
 */
const pluginEntry = z
  .strictObject({
    path: z
      .string()
      .min(1)
      .describe(
        'The plugin file, an ES module (.js, .mjs) exporting `manifest` (or a default export). Relative to the config file.',
      ),
    config: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        "The plugin's config, validated by its manifest's configSchema at load (errors at plugins[i].config...).",
      ),
    apis: z
      .array(z.string().min(1))
      .min(1, 'expected at least one API name; leave apis out to apply the plugin to every API')
      .optional()
      .describe(
        'Only these APIs (by name); without it the plugin runs on every route of every API (a global plugin, as in Kong).',
      ),
  })
  .describe('A plugin: its file, its config and where it applies.');

export const pluginsRootFields = {
  plugins: z
    .array(pluginEntry)
    .default([])
    .describe(
      'User plugins, loaded in this order; their policies run in their phase after the built-in policy of that phase.',
    ),
};

export type PluginEntryConfig = z.infer<typeof pluginEntry>;

declare module '../config/schema.js' {
  interface RootFeatureFields extends Fields<typeof pluginsRootFields> {}
}
