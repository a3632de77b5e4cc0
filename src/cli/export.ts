import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { loadConfigFile } from '../features.js';
import { exportOpenApi } from '../import/export-openapi.js';
import { parseCommandArgs, UsageError } from './args.js';
import type { Io } from './commands.js';

/** `portico export openapi [-c FILE] [--api NAME] [--out FILE]`: JSON, or YAML when --out ends in .yaml/.yml. */
export async function exportCommand(argv: string[], io: Io): Promise<number> {
  const [format, ...rest] = argv;
  if (format !== 'openapi') {
    throw new UsageError(
      `portico export: expected a format (openapi), got ${format ? `"${format}"` : 'none'} (see 'portico export --help')`,
    );
  }
  const { values } = parseCommandArgs('export openapi', rest, {
    config: { type: 'string', short: 'c' },
    api: { type: 'string' },
    out: { type: 'string', short: 'o' },
  });
  const loaded = await loadConfigFile(values.config ?? io.env.PORTICO_CONFIG ?? 'portico.yaml', io.env);
  const doc = exportOpenApi(loaded.config, values.api);
  const text =
    values.out && /\.ya?ml$/.test(values.out) ? stringify(doc, { lineWidth: 0 }) : `${JSON.stringify(doc, null, 2)}\n`;
  if (values.out) {
    await writeFile(values.out, text);
    io.err(`wrote ${values.out}`);
  } else io.out(text.trimEnd());
  return 0;
}
