import type * as Jose from 'jose';

let loaded: typeof Jose | undefined;

/** jose, imported by the first token verification: a gateway without JWT authorizers never loads it. */
export async function loadJose(): Promise<typeof Jose> {
  loaded ??= await import('jose');
  return loaded;
}

/** jose after loadJose() (error classification runs only after a verification attempt). */
export function jose(): typeof Jose {
  if (!loaded) throw new Error('jose is used before loadJose()');
  return loaded;
}
