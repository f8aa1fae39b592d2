/**
 * The transport under every SDK method: base URL, bearer key, JSON in and out, problem+json
 * errors as {@link DescentError}, AbortSignal passed through. Deliberately thin (plain `fetch`),
 * so what goes over the wire is what docs/api-v1.md says.
 */
import { randomUUID } from 'node:crypto';
import { DescentError, errorFromResponse, networkError } from './errors.js';

/** How the SDK reaches the service. */
export interface ClientOptions {
  /** Base URL of the service; default `http://127.0.0.1:8080`. */
  url?: string;
  /** Sent as `Authorization: Bearer <apiKey>` when set. */
  apiKey?: string;
  /** A `fetch` of your own (tests, proxies); default the global one. */
  fetch?: typeof fetch;
}

/** Per-call options every method takes. */
export interface CallOptions {
  /** Aborts the request (and, for event streams, the whole iteration). */
  signal?: AbortSignal;
}

/** Query values: undefined ones are left out. */
export type Query = Record<string, string | number | boolean | undefined>;

/** One request as the methods describe it. */
interface RequestSpec {
  method?: string;
  path: string;
  query?: Query;
  headers?: Record<string, string>;
  /** A JSON value (sent as application/json) or raw bytes/text with `headers['content-type']`. */
  json?: unknown;
  body?: string | Uint8Array;
  signal?: AbortSignal;
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** The transport: `send` answers the raw Response (2xx only), `json` its parsed body. */
export class Http {
  readonly base: string;
  private readonly apiKey?: string;
  private readonly fetchFn: typeof fetch;

  constructor(opts: ClientOptions = {}) {
    this.base = (opts.url || DEFAULT_URL).replace(/\/+$/, '');
    this.apiKey = opts.apiKey || undefined;
    this.fetchFn = opts.fetch ?? globalThis.fetch.bind(globalThis);
  }

  url(path: string, query?: Query): string {
    const u = new URL(this.base + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  /** Send a request; throws {@link DescentError} for a non-2xx answer or no answer. */
  async send(req: RequestSpec): Promise<Response> {
    const url = this.url(req.path, req.query);
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    let body: string | Uint8Array | undefined = req.body;
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    }
    let res: Response;
    try {
      res = await this.fetchFn(url, { method: req.method ?? 'GET', headers, body, signal: req.signal });
    } catch (err) {
      if (req.signal?.aborted) throw err;
      throw networkError(url, err);
    }
    if (!res.ok) throw await errorFromResponse(res);
    return res;
  }

  async json<T>(req: RequestSpec): Promise<T> {
    const res = await this.send(req);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }
}

/** True when retrying the same request may succeed: no answer, 429, 502–504. */
export function isTransient(err: unknown): boolean {
  return (
    err instanceof DescentError &&
    (err.status === 0 || err.status === 429 || (err.status >= 502 && err.status <= 504))
  );
}

/** Sleep `ms`, or reject at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Exponential backoff with full jitter: attempt 0 → up to `baseMs`, doubling, capped at `maxMs`. */
export function backoffMs(attempt: number, baseMs = 250, maxMs = 5000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Options of a create (`jobs.create`, `jobs.fork`, `sweeps.create`). */
export interface CreateOptions extends CallOptions {
  /**
   * The `Idempotency-Key` header: same key and same body → the same resource, so a retry after a
   * lost answer never trains twice. Default: a fresh random key per call (which is what makes the
   * SDK's own retries of a create safe); `false` sends none (and then nothing is retried).
   */
  idempotencyKey?: string | false;
  /** Retries of a create that got no answer, a 429 or a 502–504 (same key each time); default 2. */
  retries?: number;
}

/** POST a create with an Idempotency-Key, retrying transient failures under the same key. */
export async function createWithKey<T>(http: Http, path: string, body: unknown, opts: CreateOptions): Promise<T> {
  const key = opts.idempotencyKey === false ? undefined : (opts.idempotencyKey ?? randomUUID());
  const retries = key ? (opts.retries ?? 2) : 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await http.json<T>({
        method: 'POST',
        path,
        json: body,
        headers: key ? { 'idempotency-key': key } : {},
        signal: opts.signal,
      });
    } catch (err) {
      if (attempt >= retries || !isTransient(err) || opts.signal?.aborted) throw err;
      await sleep(backoffMs(attempt), opts.signal);
    }
  }
}
