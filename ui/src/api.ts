/**
 * Calls to the Descent API from the page: same origin, JSON, and with `DESCENT_API_KEYS` set a
 * bearer key the user typed, kept in sessionStorage (gone when the tab closes, never in a cookie).
 */

const KEY = 'descent.apiKey';

/** The key of this tab, or null. */
export const apiKey = (): string | null => sessionStorage.getItem(KEY);
export const setApiKey = (k: string | null): void =>
  k ? sessionStorage.setItem(KEY, k) : sessionStorage.removeItem(KEY);

/** A problem+json answer (or a network failure, status 0). */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** fetch() with the key, for callers that read the body themselves (SSE, downloads). */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const key = apiKey();
  if (key) headers.set('authorization', `Bearer ${key}`);
  return fetch(path, { ...init, headers });
}

/** Turn a non-2xx response into an ApiProblem. */
export async function problemOf(res: Response): Promise<ApiProblem> {
  let body: { code?: string; detail?: string; errors?: { path: string; message: string }[] } = {};
  try {
    body = await res.json();
  } catch {
    /* not JSON */
  }
  if (res.status === 401) window.dispatchEvent(new CustomEvent('descent:unauthorized'));
  return new ApiProblem(res.status, body.code ?? 'HTTP', body.detail ?? res.statusText, body.errors ?? []);
}

/** A JSON call; throws ApiProblem on a non-2xx answer. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function api<T = any>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set('content-type', 'application/json');
  const res = await apiFetch(path, {
    ...rest,
    headers,
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
  if (!res.ok) throw await problemOf(res);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** Fetch `path` and save it as `filename` (a link cannot send the bearer header). */
export async function download(path: string, filename: string): Promise<void> {
  const res = await apiFetch(path);
  if (!res.ok) throw await problemOf(res);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
