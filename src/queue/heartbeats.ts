import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

export interface WorkerInfo {
  id: string;
  pid: number;
  host: string;
  backend: string;
  startedAt: string;
  lastBeat?: string;
}

/** Worker liveness for `/readyz`: a sorted set of worker id → last beat time, plus their details. */
export function createHeartbeats(redis: Redis, keys: Keys, periodMs: number) {
  return {
    async beat(info: WorkerInfo): Promise<void> {
      const now = Date.now();
      await redis
        .multi()
        .zadd(keys.workers, now, info.id)
        .hset(keys.workerInfo, info.id, JSON.stringify(info))
        .zremrangebyscore(keys.workers, '-inf', now - 3600_000)
        .exec();
    },
    async remove(id: string): Promise<void> {
      await redis.multi().zrem(keys.workers, id).hdel(keys.workerInfo, id).exec();
    },
    /** Workers that beat within the last three periods. */
    async alive(): Promise<WorkerInfo[]> {
      const now = Date.now();
      const entries = await redis.zrangebyscore(keys.workers, now - 3 * periodMs, '+inf', 'WITHSCORES');
      const ids: string[] = [];
      const beats: number[] = [];
      for (let i = 0; i < entries.length; i += 2) {
        ids.push(entries[i]);
        beats.push(Number(entries[i + 1]));
      }
      if (!ids.length) return [];
      const infos = await redis.hmget(keys.workerInfo, ...ids);
      return ids.map((id, i) => ({
        ...(JSON.parse(infos[i] ?? '{}') as WorkerInfo),
        id,
        lastBeat: new Date(beats[i]).toISOString(),
      }));
    },
  };
}
