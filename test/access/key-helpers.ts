import type { Gateway } from '../../src/index.js';

/** Calls the gateway's admin API with its token; returns status and parsed JSON. */
export async function admin(
  gw: Gateway,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(new URL(path, gw.adminUrl), {
    method,
    headers: {
      authorization: `Bearer ${gw.adminToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Creates a key through the admin API and returns its id and value. */
export async function createKey(gw: Gateway, input: Record<string, unknown>): Promise<{ id: string; value: string }> {
  const r = await admin(gw, 'POST', '/keys', input);
  if (r.status !== 201) throw new Error(`create key: ${r.status} ${JSON.stringify(r.body)}`);
  return { id: r.body.id as string, value: r.body.value as string };
}
