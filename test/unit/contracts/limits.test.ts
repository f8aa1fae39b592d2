import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, limitEnvName, limitMessage, limitsFromEnv } from '../../../src/contracts/limits.js';

describe('limits', () => {
  it('has the documented defaults and is frozen', () => {
    expect(DEFAULT_LIMITS.maxParameters).toBe(5_000_000);
    expect(DEFAULT_LIMITS.maxInlineRows).toBe(100_000);
    expect(DEFAULT_LIMITS.maxRowsTimesEpochs).toBe(2e9);
    expect(Object.isFrozen(DEFAULT_LIMITS)).toBe(true);
  });

  it('names environment variables after the keys', () => {
    expect(limitEnvName('maxParameters')).toBe('DESCENT_LIMIT_MAX_PARAMETERS');
    expect(limitEnvName('maxRowsTimesEpochs')).toBe('DESCENT_LIMIT_MAX_ROWS_TIMES_EPOCHS');
  });

  it('reads overrides from the environment and refuses malformed ones', () => {
    const l = limitsFromEnv({
      DESCENT_LIMIT_MAX_PARAMETERS: '1000',
      DESCENT_LIMIT_MAX_EPOCHS: ' ',
      OTHER: 'x',
    });
    expect(l.maxParameters).toBe(1000);
    expect(l.maxEpochs).toBe(DEFAULT_LIMITS.maxEpochs);
    expect(DEFAULT_LIMITS.maxParameters).toBe(5_000_000);
    expect(() => limitsFromEnv({ DESCENT_LIMIT_MAX_EPOCHS: 'lots' })).toThrow(
      'DESCENT_LIMIT_MAX_EPOCHS=lots is not a positive number',
    );
    expect(() => limitsFromEnv({ DESCENT_LIMIT_MAX_EPOCHS: '-1' })).toThrow(/not a positive number/);
  });

  it('phrases refusals with the value and the limit', () => {
    expect(limitMessage('hidden has', '40 layers', 16)).toBe('hidden has 40 layers; the limit is 16');
  });
});
