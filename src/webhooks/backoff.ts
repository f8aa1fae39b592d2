/**
 * When a failed delivery is tried again: exponential with jitter. Retry k (k = 1 after the first
 * failure) waits `base · factor^(k−1)`, scaled by a random factor in [0.8, 1.2) so that the
 * deliveries of a burst that failed together (a receiver that was down) do not all come back at
 * the same instant. Defaults (5 s, ×3.25, 10 tries): 5 s, 16 s, 53 s, 2.9 min, 9.5 min, 31 min,
 * 1.7 h, 5.5 h, 18 h — the 10th try ≈ 25 h after the first.
 */
export interface RetrySchedule {
  baseMs: number;
  factor: number;
}

export function retryDelayMs(s: RetrySchedule, retry: number, random: () => number = Math.random): number {
  const nominal = s.baseMs * s.factor ** Math.max(0, retry - 1);
  return Math.round(nominal * (0.8 + 0.4 * random()));
}
