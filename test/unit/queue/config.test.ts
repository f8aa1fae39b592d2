import { expect, test } from 'vitest';
import { loadConfig } from '../../../src/queue/config.js';

test('lock defaults recover a killed worker within 10 s: lock 5 s renewed every 1 s, stalled check 1 s', () => {
  const cfg = loadConfig({});
  expect([cfg.lockDurationMs, cfg.lockRenewMs, cfg.stalledIntervalMs]).toEqual([5000, 1000, 1000]);
});

test('the renewal period follows a configured lock unless set', () => {
  expect(loadConfig({ DESCENT_LOCK_MS: '600' }).lockRenewMs).toBe(120);
  expect(loadConfig({ DESCENT_LOCK_MS: '600', DESCENT_LOCK_RENEW_MS: '200' }).lockRenewMs).toBe(200);
});

test('a renewal period not below the lock is refused at boot, naming both settings', () => {
  expect(() => loadConfig({ DESCENT_LOCK_MS: '2000', DESCENT_LOCK_RENEW_MS: '2000' })).toThrow(
    /DESCENT_LOCK_RENEW_MS must be above 0 and below DESCENT_LOCK_MS \(2000\), got 2000/,
  );
  expect(() => loadConfig({ DESCENT_LOCK_RENEW_MS: '0' })).toThrow(/DESCENT_LOCK_RENEW_MS/);
});
