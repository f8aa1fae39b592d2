import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { ApiError, ERROR_CODES, problem, type ErrorCode, type Problem } from '../contracts/problem.js';
import { isRedisRefusing, isRedisUnavailable } from '../queue/redis.js';
import { setFallbackHeaders } from './security-headers.js';

/** Field issues listed in one problem document; the detail counts the rest ("and 1234 more"). */
export const MAX_PROBLEM_ISSUES = 20;

/**
 * Send a problem document (pre-serialized, so no response schema can interfere). A body with
 * thousands of bad elements answers with the first {@link MAX_PROBLEM_ISSUES} issues, so the
 * answer to a hostile request stays small.
 */
export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  const body =
    p.errors && p.errors.length > MAX_PROBLEM_ISSUES
      ? { ...p, errors: p.errors.slice(0, MAX_PROBLEM_ISSUES) }
      : p;
  return reply.code(p.status).type('application/problem+json').send(JSON.stringify(body));
}

/** "The request body has 2000000 bytes; the limit of POST /v1/jobs is 1048576 bytes (DESCENT_BODY_LIMIT)." */
function tooLargeDetail(req: FastifyRequest): string {
  const limit = req.routeOptions.bodyLimit;
  const route = req.routeOptions.url ?? req.url.split('?')[0];
  const env = route.startsWith('/v1/datasets') ? 'DESCENT_DATASET_BODY_LIMIT' : 'DESCENT_BODY_LIMIT';
  const len = Number(req.headers['content-length']);
  const of = `${req.method} ${route}`;
  return Number.isFinite(len) && len > 0
    ? `The request body has ${len} bytes; the limit of ${of} is ${limit} bytes (${env}).`
    : `The request body is larger than the limit of ${of}, ${limit} bytes (${env}).`;
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

/** A zod issue as fastify-type-provider-zod hands it over (its params spread back in). */
interface RawIssue {
  code: string;
  path: PropertyKey[];
  message: string;
  /** invalid_union: the issues of each branch. */
  errors?: RawIssue[][];
  /** invalid_key / invalid_element: why the key (or element) failed. */
  issues?: RawIssue[];
}

const pointerOf = (path: PropertyKey[]) =>
  path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');

/**
 * Bring nested issues up to where a user can read them: a union ("Invalid input") reports the
 * issues of the branch that got furthest (the JSON dataset rather than the CSV string), and a
 * record key ("Invalid key in record") the reason the key failed — so limit messages such as
 * "x has 21 rows; the limit is 20" survive the union of the dataset upload body.
 */
function expandIssue(issue: RawIssue, base: string, depth = 0): { path: string; message: string }[] {
  const here = base + pointerOf(issue.path ?? []);
  if (depth < 8 && issue.code === 'invalid_union' && Array.isArray(issue.errors) && issue.errors.length) {
    const reach = (branch: RawIssue[]) =>
      Math.max(...branch.map((i) => (i.path?.length ?? 0) * 2 + (i.code === 'invalid_type' ? 0 : 1)));
    // on a tie, the branch whose keys the input has (no "Unknown key"): `{ inputs }` without
    // `targets` is told about targets, not that it lacks a datasetId
    const strays = (branch: RawIssue[]) => branch.filter((i) => i.code === 'unrecognized_keys').length;
    const best = issue.errors
      .filter((b) => b.length)
      .sort((a, b) => reach(b) - reach(a) || strays(a) - strays(b))[0];
    if (best && reach(best) > 0) return best.flatMap((i) => expandIssue(i, here, depth + 1));
  }
  if (depth < 8 && issue.code === 'invalid_key' && Array.isArray(issue.issues) && issue.issues.length)
    return issue.issues.slice(0, 1).map((i) => ({ path: here, message: i.message }));
  return [{ path: here, message: issue.message }];
}

/** Map every error to problem+json. Bad input is never a 500, and a 500 never shows internals. */
export function problemFor(
  err: FastifyError | Error,
  req?: FastifyRequest,
): { problem: Problem; log: boolean } {
  if (err instanceof ApiError) return { problem: err.toProblem(), log: false };
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = (err as FastifyError).validationContext ?? 'body';
    const errors = err.validation.flatMap((v) =>
      expandIssue(
        { code: v.keyword, path: [], message: v.message ?? 'invalid', ...(v.params as object) },
        v.instancePath === '/' ? '' : v.instancePath,
      ).map((e) => ({
        path: where === 'body' ? e.path || '/' : `/${where}${e.path}`,
        message: e.message,
      })),
    );
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
        ? req
          ? tooLargeDetail(req)
          : 'The request body is larger than this endpoint accepts (DESCENT_BODY_LIMIT / DESCENT_DATASET_BODY_LIMIT).'
        : fe.message;
    return { problem: problem(code, detail), log: false };
  }
  if (isRedisUnavailable(err))
    return { problem: problem('UNAVAILABLE', 'Redis is unreachable; try again shortly.'), log: true };
  // Logged in full; the answer says only that it passes (no Redis error text reaches a client).
  if (isRedisRefusing(err))
    return {
      problem: problem('UNAVAILABLE', 'The store refuses writes for the moment; try again shortly.'),
      log: true,
    };
  if (err instanceof SyntaxError)
    return { problem: problem('VALIDATION_ERROR', `Malformed body: ${err.message}`), log: false };
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500)
    return { problem: problem(codeForStatus(status), fe.message), log: false };
  return { problem: problem('INTERNAL', 'Internal error; it has been logged.'), log: true };
}

/**
 * Errors the router raises before any route or hook runs (Fastify's `frameworkErrors` option):
 * a malformed percent-encoding in the path, or a path parameter over `maxParamLength`. Without this
 * they would answer Fastify's own plain JSON instead of problem+json.
 */
export function frameworkErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  setFallbackHeaders(reply, req.id);
  const path = req.url.split('?')[0];
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    const longest = Math.max(...path.split('/').map((s) => s.length));
    sendProblem(
      reply,
      problem('VALIDATION_ERROR', `A path segment has ${longest} characters; the limit is 200.`, [
        { path: '/params', message: `${longest} characters; the limit is 200` },
      ]),
    );
    return;
  }
  sendProblem(
    reply,
    problem('VALIDATION_ERROR', `The URL path is malformed (${err.code ?? 'bad URL'}).`, [
      { path: '/params', message: 'malformed percent-encoding' },
    ]),
  );
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (Fastify's `clientErrorHandler`):
 * headers over Node's `maxHeaderSize` (431), a malformed request (400), a client too slow (408).
 * Same wire behaviour as Fastify's default handler (answer, then close), but problem+json.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let p: Problem;
  if (err.code === 'HPE_HEADER_OVERFLOW')
    p = {
      ...problem('PAYLOAD_TOO_LARGE', 'The request headers are larger than the server accepts (16 KiB).'),
      status: 431,
      title: 'Request header fields too large',
    };
  else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    p = {
      ...problem('UNAVAILABLE', 'The request was not received in time.'),
      status: 408,
      title: 'Request timeout',
    };
  else p = problem('VALIDATION_ERROR', `The request is not valid HTTP (${err.code ?? 'parse error'}).`);
  if (socket.writable) {
    const body = JSON.stringify(p);
    socket.write(
      `HTTP/1.1 ${p.status} ${STATUS_CODES[p.status]}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const { problem: p, log } = problemFor(err, req);
    if (log) req.log.error({ err }, 'request failed');
    return sendProblem(reply, p);
  });
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, problem('NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0]}`)),
  );
}
