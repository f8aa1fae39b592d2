/**
 * The quota and upload-cap settings (src/api/quota-config.ts), the job memory limit derived from
 * an estimate (workers/contained-trainer.ts) and the UTC day of the usage period.
 */
import { describe, expect, test } from 'vitest';
import { quotaConfigFromEnv, quotaFor } from '../../src/api/quota-config.js';
import { utcDay } from '../../src/contracts/usage.js';
import { jobMemoryLimitMb } from '../../workers/contained-trainer.js';

describe('quota configuration', () => {
  test('off by default; upload caps on (4 in all, 2 per tenant)', () => {
    const c = quotaConfigFromEnv({});
    expect(c).toMatchObject({
      computeSecondsPerDay: null,
      storedBytes: null,
      maxUploads: 4,
      maxUploadsPerTenant: 2,
      uploadRetrySeconds: 2,
    });
    expect(quotaFor(c, 'anyone')).toEqual({ computeSecondsPerDay: null, storedBytes: null });
  });

  test('per-tenant overrides replace either quota; 0 means none for that tenant', () => {
    const c = quotaConfigFromEnv({
      DESCENT_QUOTA_COMPUTE_SECONDS_PER_DAY: '3600',
      DESCENT_QUOTA_STORED_BYTES: '1000000',
      DESCENT_QUOTA_OVERRIDES: '{"alice": {"computeSecondsPerDay": 7200}, "bob": {"storedBytes": 0}}',
      DESCENT_MAX_CONCURRENT_UPLOADS: '0',
    });
    expect(quotaFor(c, 'carol')).toEqual({ computeSecondsPerDay: 3600, storedBytes: 1_000_000 });
    expect(quotaFor(c, 'alice')).toEqual({ computeSecondsPerDay: 7200, storedBytes: 1_000_000 });
    expect(quotaFor(c, 'bob')).toEqual({ computeSecondsPerDay: 3600, storedBytes: null });
    expect(c.maxUploads).toBeNull();
  });

  test('a malformed value stops the boot, naming the variable', () => {
    expect(() => quotaConfigFromEnv({ DESCENT_QUOTA_STORED_BYTES: 'lots' })).toThrow(
      /DESCENT_QUOTA_STORED_BYTES/,
    );
    expect(() => quotaConfigFromEnv({ DESCENT_QUOTA_OVERRIDES: '{nope' })).toThrow(/DESCENT_QUOTA_OVERRIDES/);
    expect(() => quotaConfigFromEnv({ DESCENT_QUOTA_OVERRIDES: '{"a": {"gpus": 1}}' })).toThrow(
      /DESCENT_QUOTA_OVERRIDES\.a\.gpus/,
    );
    expect(() => quotaConfigFromEnv({ DESCENT_QUOTA_OVERRIDES: '{"a": {"storedBytes": -1}}' })).toThrow(
      /non-negative/,
    );
  });
});

describe('job memory limit', () => {
  const MB = 1024 * 1024;
  test('4 × the estimate + 256 MB in 256 MB steps, at least 512 MB, at most the ceiling', () => {
    expect(jobMemoryLimitMb(0, 4096)).toBe(512);
    expect(jobMemoryLimitMb(64 * MB, 4096)).toBe(512);
    expect(jobMemoryLimitMb(65 * MB, 4096)).toBe(768);
    expect(jobMemoryLimitMb(500 * MB, 4096)).toBe(2304);
    expect(jobMemoryLimitMb(10_000 * MB, 4096)).toBe(4096);
    expect(jobMemoryLimitMb(0, 96)).toBe(96);
  });
});

test('the usage period is the UTC day', () => {
  const d = utcDay(Date.parse('2026-12-04T23:59:59.999Z'));
  expect(d).toEqual({
    day: '2026-12-04',
    start: '2026-12-04T00:00:00.000Z',
    end: '2026-12-05T00:00:00.000Z',
    endMs: Date.parse('2026-12-05T00:00:00.000Z'),
  });
});
