import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, type ProblemIssue } from '../contracts/problem.js';
import { limitMessage, type Limits } from '../contracts/limits.js';

/**
 * Request-body checks that run before any schema, on every JSON and CSV body:
 *
 * - JSON: nesting depth (`maxJsonDepth`), string length (`maxJsonStringLength`), numbers that
 *   overflow to ±Infinity (`1e999` parses to Infinity), and the keys `__proto__`, `constructor`
 *   and `prototype` anywhere — each refused with 400 naming the JSON Pointer of the first offence.
 *   Fastify's default parser (secure-json-parse) rejects `__proto__` without saying where, and lets
 *   `constructor` and `prototype` through.
 * - CSV (table-upload.ts, streamed): valid UTF-8, no NUL byte, header names within `maxStringLength`.
 *
 * Body size itself is Fastify's `bodyLimit` (413).
 */

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function pointer(path: readonly (string | number)[]): string {
  return path.length === 0
    ? '/'
    : '/' + path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

function refuse(path: readonly (string | number)[], message: string): ApiError {
  const at = pointer(path);
  const issue: ProblemIssue = { path: at, message };
  return new ApiError('VALIDATION_ERROR', `The body is invalid: ${at} ${message}`, [issue]);
}

/**
 * Walk a parsed JSON value (iteratively: depth is bounded by the check, not by the call stack) and
 * return the first offence, or null.
 */
export function jsonOffence(
  value: unknown,
  L: Pick<Limits, 'maxJsonDepth' | 'maxJsonStringLength'>,
): ApiError | null {
  // Paths are parent links, turned into a pointer only for the offence: copying a path per node
  // would be quadratic in the depth.
  type Step = { key: string | number; up: Step | null } | null;
  const pathOf = (s: Step): (string | number)[] => {
    const out: (string | number)[] = [];
    for (let n = s; n; n = n.up) out.push(n.key);
    return out.reverse();
  };
  // Frames: the value, its path, its depth (containers count: a top-level object is depth 1).
  const stack: [unknown, Step, number][] = [[value, null, 0]];
  while (stack.length) {
    const [v, at, depth] = stack.pop()!;
    if (typeof v === 'number') {
      if (!Number.isFinite(v))
        return refuse(
          pathOf(at),
          `is not a finite number (it overflows float64: ${v > 0 ? '+' : '-'}Infinity)`,
        );
    } else if (typeof v === 'string') {
      if (v.length > L.maxJsonStringLength)
        return refuse(
          pathOf(at),
          limitMessage('is a string of', `${v.length} characters`, L, 'maxJsonStringLength') +
            ' (DESCENT_LIMIT_MAX_JSON_STRING_LENGTH)',
        );
    } else if (v !== null && typeof v === 'object') {
      if (depth + 1 > L.maxJsonDepth)
        return refuse(
          pathOf(at),
          limitMessage('nests deeper than the body nesting limit: depth', depth + 1, L, 'maxJsonDepth') +
            ' (DESCENT_LIMIT_MAX_JSON_DEPTH)',
        );
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], { key: i, up: at }, depth + 1]);
      } else {
        const keys = Object.keys(v);
        for (const k of keys) {
          if (FORBIDDEN_KEYS.has(k))
            return refuse([...pathOf(at), k], `"${k}" is not allowed as a key (prototype pollution)`);
          if (k.length > L.maxJsonStringLength)
            return refuse(
              pathOf(at),
              limitMessage('has a key of', `${k.length} characters`, L, 'maxJsonStringLength'),
            );
        }
        for (let i = keys.length - 1; i >= 0; i--)
          stack.push([(v as Record<string, unknown>)[keys[i]], { key: keys[i], up: at }, depth + 1]);
      }
    }
  }
  return null;
}

/**
 * Parse a JSON body: `JSON.parse` (which makes `__proto__` an ordinary own key, never a prototype)
 * followed by {@link jsonOffence}. A syntax error is a 400 naming the position.
 */
export function parseJsonBody(
  text: string,
  L: Pick<Limits, 'maxJsonDepth' | 'maxJsonStringLength'>,
): unknown {
  if (text.trim() === '')
    throw new ApiError('VALIDATION_ERROR', 'The body is empty; send a JSON document.', [
      { path: '/', message: 'empty body' },
    ]);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message.slice(0, 200);
    throw new ApiError('VALIDATION_ERROR', `The body is not valid JSON: ${msg}`, [
      { path: '/', message: msg },
    ]);
  }
  const offence = jsonOffence(value, L);
  if (offence) throw offence;
  return value;
}

/** Offset of the first byte that starts an invalid UTF-8 sequence, or -1 (RFC 3629: no overlongs, no surrogates). */
export function firstBadUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) [n, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [n, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [n, min] = [3, 0x10000];
    else return i;
    if (i + n >= b.length) return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if ((d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}

/**
 * Replace Fastify's JSON parser with the checked one above. Route body limits still apply (the
 * parser sets none of its own). CSV and Parquet uploads have their own parsers (table-upload.ts).
 */
export function registerBodyParsers(app: FastifyInstance, limits: Readonly<Limits>): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    (_req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
      try {
        done(null, parseJsonBody(typeof body === 'string' ? body : body.toString('utf8'), limits));
      } catch (err) {
        done(err as Error);
      }
    },
  );
}
