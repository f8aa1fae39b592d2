/**
 * Calls to the Descent API from the page: JSON, and with `DESCENT_API_KEYS` set a bearer key the
 * user typed, kept in sessionStorage (gone when the tab closes, never in a cookie). The API is on
 * the page's own origin unless `config.json` beside the page names another (`apiBase`: written by
 * the serving process from `DESCENT_DASHBOARD_API_URL`, or by hand next to a bundle hosted
 * elsewhere); that API must then list the page's origin in `DESCENT_CORS_ORIGINS`.
 */

const KEY = 'descent.apiKey';

/** The API's base URL without a trailing slash; '' = this page's origin. */
let base = '';

/** Where the API is, as people read it. */
export const apiOrigin = (): string => base || location.origin;

/** Whether the API is on another origin than the page. */
export const apiElsewhere = (): boolean => base !== '' && new URL(base).origin !== location.origin;

/**
 * Read `config.json` beside the page (once, before the first call). A missing or unreadable file
 * means the same origin, so a bundle without one works as before.
 */
export async function loadConfig(): Promise<void> {
  try {
    const res = await fetch('config.json', { cache: 'no-store' });
    if (!res.ok) return;
    const cfg = (await res.json()) as { apiBase?: unknown };
    if (typeof cfg.apiBase === 'string' && cfg.apiBase) base = new URL(cfg.apiBase).href.replace(/\/+$/, '');
  } catch {
    /* no config: same origin */
  }
}

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

/**
 * The API could not be reached at all: down, or (on another origin) not allowing this page's origin
 * by CORS: the browser tells a page nothing more than "failed to fetch" either way, so the message
 * names both causes and the setting that fixes the second.
 */
export class ApiUnreachable extends Error {
  constructor() {
    super(
      apiElsewhere()
        ? `Cannot reach the API at ${apiOrigin()}. It is on another origin than this page, so it must allow this page's origin: set DESCENT_CORS_ORIGINS=${location.origin} on the API (or check that it is running).`
        : `Cannot reach the API at ${apiOrigin()}: is it running?`,
    );
  }
}

/**
 * fetch() of an API path with the key, for callers that read the body themselves (SSE, downloads).
 * Throws {@link ApiUnreachable} when no response came (a stream reader retries on it).
 */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const key = apiKey();
  if (key) headers.set('authorization', `Bearer ${key}`);
  try {
    return await fetch(`${base}${path}`, { ...init, headers });
  } catch (err) {
    if (init.signal?.aborted) throw err;
    throw new ApiUnreachable();
  }
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
