import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';
import { sha256Hex } from './safetensors.js';

/** JSON with object keys sorted, so two bodies equal as values hash the same. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export type ClaimResult =
  { kind: 'new' } | { kind: 'same'; jobId: string } | { kind: 'conflict'; jobId: string };

/**
 * `Idempotency-Key` records: key → { jobId, bodyHash }, kept apart from the job (which may be
 * removed by retention) with their own TTL. The claim is a SET NX, so two concurrent requests
 * with one key create one job.
 */
export function createIdempotency(redis: Redis, keys: Keys, ttlMs: number) {
  return {
    async claim(tenant: string, key: string, body: unknown, jobId: string): Promise<ClaimResult> {
      const k = keys.idempotency(tenant, sha256Hex(key));
      const bodyHash = sha256Hex(canonicalJson(body));
      const ok = await redis.set(k, JSON.stringify({ jobId, bodyHash }), 'PX', Math.max(1, ttlMs), 'NX');
      if (ok === 'OK') return { kind: 'new' };
      const prev = JSON.parse((await redis.get(k)) ?? '{}') as { jobId?: string; bodyHash?: string };
      if (!prev.jobId) return { kind: 'new' };
      return prev.bodyHash === bodyHash
        ? { kind: 'same', jobId: prev.jobId }
        : { kind: 'conflict', jobId: prev.jobId };
    },
    /** Forget a claim whose job could not be created, so a retry with the same key can succeed. */
    async release(tenant: string, key: string): Promise<void> {
      await redis.del(keys.idempotency(tenant, sha256Hex(key)));
    },
  };
}
