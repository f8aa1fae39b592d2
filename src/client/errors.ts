/**
 * The SDK's one error type. Every refused request (4xx/5xx with an RFC 9457
 * `application/problem+json` body, as the service sends) becomes a {@link DescentError} carrying
 * that body, so callers branch on `err.code` (stable, upper case) and show `err.problem.errors`
 * (one `{ path, message }` per field) instead of parsing messages.
 */
import type { components } from './api-types.js';

/** The service's problem+json body. */
export type Problem = components['schemas']['Problem'];

/** A refused request, or a service that could not be reached. */
export class DescentError extends Error {
  /** HTTP status; 0 when no response came (connection refused, DNS, aborted socket). */
  readonly status: number;
  /** The problem+json body; for a non-problem answer, one made from the status line. */
  readonly problem: Problem;

  constructor(status: number, problem: Problem, options?: { cause?: unknown }) {
    super(problem.detail || problem.title, options);
    this.name = 'DescentError';
    this.status = status;
    this.problem = problem;
  }

  /** The problem's stable code (`VALIDATION_ERROR`, `NOT_FOUND`, …), or `NETWORK` when nothing answered. */
  get code(): string {
    return this.problem.code;
  }

  /** True for a 4xx other than 429: the request itself was wrong, retrying it will not help. */
  get isClientError(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 429;
  }
}

/** Build the error for a non-2xx response, reading its problem+json body when it has one. */
export async function errorFromResponse(res: Response): Promise<DescentError> {
  const text = await res.text().catch(() => '');
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: a proxy's HTML page, say */
  }
  const b = body as Partial<Problem> | undefined;
  if (b && typeof b === 'object' && typeof b.code === 'string' && typeof b.title === 'string')
    return new DescentError(res.status, {
      ...b,
      status: b.status ?? res.status,
      detail: b.detail ?? b.title,
    } as Problem);
  return new DescentError(res.status, {
    type: 'about:blank',
    title: res.statusText || `HTTP ${res.status}`,
    status: res.status,
    code: (res.status >= 500 ? 'UNAVAILABLE' : 'VALIDATION_ERROR') as Problem['code'],
    detail: text.slice(0, 500) || `HTTP ${res.status} ${res.statusText}`,
  });
}

/** The error for a request that got no answer at all. */
export function networkError(url: string, cause: unknown): DescentError {
  const why =
    cause instanceof Error ? ((cause.cause as Error | undefined)?.message ?? cause.message) : String(cause);
  return new DescentError(
    0,
    {
      type: 'about:blank',
      title: 'No answer',
      status: 0,
      code: 'NETWORK' as Problem['code'],
      detail: `could not reach ${url}: ${why}`,
    },
    { cause },
  );
}
