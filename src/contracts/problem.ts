import { z } from 'zod';

/**
 * Stable, upper-case error codes: clients match on these, never on messages. Each maps to one
 * HTTP status so the error handler needs no per-route knowledge.
 */
export const ERROR_CODES = {
  VALIDATION_ERROR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  NOT_ACCEPTABLE: 406,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export const ErrorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

/**
 * Why a job ended `failed` (its `error.code`; the HTTP codes above are for requests). Stable:
 * clients match on these, never on messages.
 */
export const JOB_ERROR_CODES = {
  DIVERGED: 'the loss or a parameter became NaN or infinite; the message names the step and the lr',
  TIMEOUT: "training ran past its wall-time limit (training.maxWallSeconds, or the server's)",
  INVALID_SPEC:
    'the spec cannot be trained on its data (checked again by the worker: init.weights shapes, …)',
  INVALID_OBJECTIVE: 'a minimize objective could not be evaluated (e.g. NaN at the start point)',
  DATA_ERROR: 'the dataset could not be read (deleted since submission, or refused by the loader)',
  WORKER_LOST:
    'the training process died (crash, out of memory, kill) more often than DESCENT_MAX_STARTS allows',
  OUT_OF_MEMORY:
    "the training ran out of the memory its job is allowed (a limit derived from the job's estimate, at most DESCENT_JOB_MAX_HEAP_MB); the message names the estimate and the limit",
  INTERNAL: 'a bug in the trainer; the message says what crashed',
  FAILED: 'a failure without a more specific code',
} as const;

export type JobErrorCode = keyof typeof JOB_ERROR_CODES;

export const JobErrorCodeSchema = z
  .enum(Object.keys(JOB_ERROR_CODES) as [JobErrorCode, ...JobErrorCode[]])
  .meta({
    description: Object.entries(JOB_ERROR_CODES)
      .map(([code, what]) => `${code}: ${what}`)
      .join('; '),
  });

/** One field-level issue; `path` is a JSON Pointer into the request part that failed (`/optimizer/lr`). */
export const ProblemIssueSchema = z
  .object({
    path: z.string().meta({ example: '/optimizer/lr' }),
    message: z.string(),
  })
  .meta({ id: 'ProblemIssue' });

/** RFC 9457 problem details, as every error response of the API. */
export const ProblemSchema = z
  .object({
    type: z.string().meta({
      description: 'URI naming the problem type',
      example: 'https://descent.dev/problems/validation-error',
    }),
    title: z.string(),
    status: z.number().int(),
    code: ErrorCodeSchema,
    detail: z.string(),
    errors: z.array(ProblemIssueSchema).optional(),
  })
  .meta({ id: 'Problem' });

/**
 * A response without a body (204, 304). Documented with no content at all: the type provider
 * emits `type: null`, which @fastify/swagger turns into a response without `content`.
 */
export const NoContent = z.undefined();

/** An error response with a description of its own: problem+json, as src/api/errors.ts sends it. */
export const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

export type ProblemIssue = z.infer<typeof ProblemIssueSchema>;
export type Problem = z.infer<typeof ProblemSchema>;

const TITLES: Record<ErrorCode, string> = {
  VALIDATION_ERROR: 'Invalid request',
  UNAUTHORIZED: 'Unauthorized',
  FORBIDDEN: 'Forbidden',
  NOT_FOUND: 'Not found',
  NOT_ACCEPTABLE: 'Not acceptable',
  CONFLICT: 'Conflict',
  PAYLOAD_TOO_LARGE: 'Payload too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  RATE_LIMITED: 'Too many requests',
  INTERNAL: 'Internal error',
  UNAVAILABLE: 'Service unavailable',
};

/**
 * An error that knows its problem document. Thrown by routes and stores; the API's error handler
 * turns it into `application/problem+json` and nothing else needs to know about HTTP.
 */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors?: ProblemIssue[];

  constructor(code: ErrorCode, detail: string, errors?: ProblemIssue[]) {
    super(detail);
    this.name = 'ApiError';
    this.code = code;
    this.status = ERROR_CODES[code];
    this.errors = errors;
    Object.setPrototypeOf(this, new.target.prototype);
  }

  toProblem(): Problem {
    return problem(this.code, this.message, this.errors);
  }
}

/** Build a problem document for a code. */
export function problem(code: ErrorCode, detail: string, errors?: ProblemIssue[]): Problem {
  const p: Problem = {
    type: `https://descent.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[code],
    status: ERROR_CODES[code],
    code,
    detail,
  };
  if (errors && errors.length > 0) p.errors = errors;
  return p;
}

/** Turn zod issues into problem issues with JSON Pointer paths (`['optimizer','lr']` → `/optimizer/lr`). */
export function issuesFromZod(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
  base = '',
): ProblemIssue[] {
  return issues.map((i) => ({
    path:
      base +
        (i.path.length === 0
          ? ''
          : '/' + i.path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')) || '/',
    message: i.message,
  }));
}
