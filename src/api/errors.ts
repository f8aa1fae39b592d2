import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { ApiError, ERROR_CODES, problem, type ErrorCode, type Problem } from '../contracts/problem.js';
import { isRedisUnavailable } from '../queue/redis.js';

/** Send a problem document (pre-serialized, so no response schema can interfere). */
export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type('application/problem+json').send(JSON.stringify(p));
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_ERROR',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VALIDATION_ERROR',
  FST_ERR_CTP_INVALID_JSON_BODY: 'VALIDATION_ERROR',
  FST_ERR_NOT_FOUND: 'NOT_FOUND',
};

function codeForStatus(status: number): ErrorCode {
  const found = (Object.entries(ERROR_CODES) as [ErrorCode, number][]).find(([, s]) => s === status);
  if (found) return found[0];
  return status >= 500 ? 'INTERNAL' : 'VALIDATION_ERROR';
}

/** Map every error to problem+json. Bad input is never a 500, and a 500 never shows internals. */
export function problemFor(err: FastifyError | Error): { problem: Problem; log: boolean } {
  if (err instanceof ApiError) return { problem: err.toProblem(), log: false };
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = (err as FastifyError).validationContext ?? 'body';
    const errors = err.validation.map((v) => ({
      path:
        where === 'body' ? v.instancePath || '/' : `/${where}${v.instancePath === '/' ? '' : v.instancePath}`,
      message: v.message ?? 'invalid',
    }));
    const first = errors[0];
    return {
      problem: problem(
        'VALIDATION_ERROR',
        `The ${where} is invalid: ${first.path} ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`,
        errors,
      ),
      log: false,
    };
  }
  const fe = err as FastifyError;
  if (isResponseSerializationError(fe as never))
    return { problem: problem('INTERNAL', 'The server could not produce its response.'), log: true };
  if (fe.code && FASTIFY_CODES[fe.code]) {
    const code = FASTIFY_CODES[fe.code];
    const detail =
      code === 'PAYLOAD_TOO_LARGE'
        ? 'The request body is larger than this endpoint accepts (DESCENT_BODY_LIMIT / DESCENT_DATASET_BODY_LIMIT).'
        : fe.message;
    return { problem: problem(code, detail), log: false };
  }
  if (isRedisUnavailable(err))
    return { problem: problem('UNAVAILABLE', 'Redis is unreachable; try again shortly.'), log: true };
  if (err instanceof SyntaxError)
    return { problem: problem('VALIDATION_ERROR', `Malformed body: ${err.message}`), log: false };
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500)
    return { problem: problem(codeForStatus(status), fe.message), log: false };
  return { problem: problem('INTERNAL', 'Internal error; it has been logged.'), log: true };
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const { problem: p, log } = problemFor(err);
    if (log) req.log.error({ err }, 'request failed');
    return sendProblem(reply, p);
  });
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, problem('NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0]}`)),
  );
}
