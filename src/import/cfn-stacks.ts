import { importCloudFormation, importTemplate, type StackLinks } from './cloudformation.js';
import type { CfnImportOptions, CfnImportResult } from './cfn-scope.js';
import { parseTemplate } from './cfn-intrinsics.js';
import { isObj, type Json } from './json.js';

/**
 * Several templates imported together, as the stacks of one CDK app: `portico import cloudformation a.json
 * b.json`. Their resources are read as one template (logical ids must not clash; CDK's carry a hash), so a
 * Ref, Fn::GetAtt or Fn::ImportValue in one stack reaches a resource of another:
 * - `Fn::ImportValue NAME` takes the Value of the output whose Export.Name is NAME (a --param NAME wins);
 * - a parameter without Default or --param takes the Value of another stack's output of the same name
 *   (cross-stack parameters).
 * Report pointers name their file: `b.json#/Resources/X/Properties`.
 */

export interface CfnStack {
  file: string;
  text: string;
}

export function importCloudFormationStacks(stacks: readonly CfnStack[], opts: CfnImportOptions = {}): CfnImportResult {
  if (stacks.length === 1) return importCloudFormation((stacks[0] as CfnStack).text, opts);
  const parsed = stacks.map((s) => {
    try {
      return { file: s.file, t: parseTemplate(s.text) };
    } catch (err) {
      throw new Error(`${s.file}: ${(err as Error).message}`);
    }
  });
  const merged: Json = { Resources: {} };
  const fileOf = new Map<string, string>();
  const links: StackLinks = { exports: {}, linked: {} };
  const outputs = new Map<string, { file: string; value: unknown }>();
  for (const { file, t } of parsed) {
    for (const section of ['Resources', 'Parameters', 'Conditions', 'Mappings', 'Globals'] as const) {
      const from = t[section];
      if (!isObj(from)) continue;
      const into = (merged[section] ??= {}) as Json;
      for (const [id, v] of Object.entries(from)) {
        if (id in into && JSON.stringify(into[id]) !== JSON.stringify(v))
          throw new Error(
            `${file}: ${section} ${id} is also in ${fileOf.get(`${section}/${id}`) ?? 'another template'}, differently; import them separately`,
          );
        into[id] = v;
        fileOf.set(`${section}/${id}`, file);
      }
    }
    if (t.Transform !== undefined) merged.Transform = t.Transform;
    for (const [name, o] of Object.entries(isObj(t.Outputs) ? t.Outputs : {})) {
      if (!isObj(o)) continue;
      outputs.set(name, { file, value: o.Value });
      const exp = isObj(o.Export) ? o.Export.Name : undefined;
      if (typeof exp === 'string') {
        links.exports[exp] = o.Value;
        outputs.set(exp, { file, value: o.Value });
      }
    }
  }
  for (const { file, t } of parsed) {
    for (const [name, p] of Object.entries(isObj(t.Parameters) ? t.Parameters : {})) {
      const o = outputs.get(name);
      if (isObj(p) && p.Default === undefined && o && o.file !== file) links.linked[name] = o.value;
    }
  }
  const result = importTemplate(merged, opts, links);
  // Point each note at the file its resource came from.
  const at = (ptr: string) => {
    const m = /^\/(Resources|Globals)\/([^/]+)/.exec(ptr);
    const key = m ? `${m[1]}/${(m[2] as string).replaceAll('~1', '/').replaceAll('~0', '~')}` : '';
    const file = fileOf.get(key);
    return file ? `${file}#${ptr}` : ptr;
  };
  for (const n of result.report.notes) n.pointer = at(n.pointer);
  for (const n of result.report.mappedNotes) n.pointer = at(n.pointer);
  const used = Object.keys(links.exports).filter((e) => JSON.stringify(merged).includes(JSON.stringify(e)));
  if (used.length || Object.keys(links.linked).length)
    result.report.mapped(
      '',
      'stacks',
      `${stacks.length} templates read as one app: ${[
        used.length ? `Fn::ImportValue of ${used.join(', ')}` : '',
        Object.keys(links.linked).length
          ? `parameters ${Object.keys(links.linked).join(', ')} from other stacks' outputs`
          : '',
      ]
        .filter(Boolean)
        .join('; ')}`,
    );
  return result;
}
