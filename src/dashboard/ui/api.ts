// The admin API as the dashboard reads it: same origin, the token from the login form in
// sessionStorage (never in a URL), sent as a bearer token.

const KEY = 'portico.adminToken';

export function savedToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

/** An admin API answer other than 2xx: its status and the API's message. */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

let onUnauthorized: () => void = () => {};

/** What to do when the saved token stops working (the login page again). */
export function whenUnauthorized(fn: () => void): void {
  onUnauthorized = fn;
}

async function call(path: string, init: RequestInit = {}, token = savedToken()): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  if (init.body) headers.set('content-type', 'application/json');
  const res = await fetch(path, { ...init, headers, cache: 'no-store', credentials: 'omit' });
  if (res.ok) return res;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { message?: string; error?: string };
    message = body.message ?? body.error ?? message;
  } catch {
    // not JSON: keep the status line
  }
  if (res.status === 401 && token === savedToken()) onUnauthorized();
  throw new ApiError(res.status, message);
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await call(path)).json()) as T;
}

export async function getText(path: string): Promise<string> {
  return (await call(path)).text();
}

export async function sendJson<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method };
  if (body !== undefined) init.body = JSON.stringify(body);
  return (await (await call(path, init)).json()) as T;
}

/** Checks a token against GET /status before it is saved: true if the admin API accepts it. */
export async function tokenWorks(token: string): Promise<boolean> {
  try {
    await call('/status', {}, token);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return false;
    throw err;
  }
}
