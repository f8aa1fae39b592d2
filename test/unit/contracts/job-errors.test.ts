import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JOB_ERROR_CODES, JobErrorCodeSchema } from '../../../src/contracts/problem.js';
import { JobErrorSchema } from '../../../src/contracts/job.js';

describe('the job error code catalogue', () => {
  it('is what the Job schema accepts, and nothing else', () => {
    for (const code of Object.keys(JOB_ERROR_CODES)) expect(JobErrorCodeSchema.parse(code)).toBe(code);
    expect(JobErrorSchema.safeParse({ code: 'SOMETHING_ELSE', message: 'x' }).success).toBe(false);
  });
  it('every code is documented in docs/api-v1.md', () => {
    const doc = readFileSync(new URL('../../../docs/api-v1.md', import.meta.url), 'utf8');
    for (const code of Object.keys(JOB_ERROR_CODES))
      expect(doc).toMatch(new RegExp(`\\|\\s*\`${code}\`\\s*\\|`));
  });
  it('every code a producer in src/ or workers/ writes is in the catalogue', () => {
    // The producers are typed (JobErrorCode), so tsc refuses a new literal; this catches a string
    // that reaches the store some other way.
    const out = execSync(`grep -rhoE "code: '[A-Z_]+'" src workers --include=*.ts || true`, {
      cwd: new URL('../../../', import.meta.url),
      encoding: 'utf8',
    });
    // HTTP-layer codes, never stored on a job (FST_ERR_CTP_BODY_TOO_LARGE: fastify's own, which the
    // streaming table upload raises so an oversized body gets fastify's 413; NETWORK: the SDK's
    // DescentError for a request that got no answer, src/client/errors.ts).
    const http = new Set([
      'VALIDATION_ERROR',
      'NOT_FOUND',
      'CONFLICT',
      'INTERNAL',
      'UNAVAILABLE',
      'FST_ERR_CTP_BODY_TOO_LARGE',
      'NETWORK',
    ]);
    for (const m of out.matchAll(/code: '([A-Z_]+)'/g))
      if (!http.has(m[1])) expect(Object.keys(JOB_ERROR_CODES)).toContain(m[1]);
  });
});
