/** The per-process stream tailer: one blocking XREAD for many streams, re-issued via CLIENT UNBLOCK. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Redis } from 'ioredis';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import { createRedis, waitReady } from '../../src/queue/redis.js';
import { createTailer, type Tailer } from '../../src/queue/tailer.js';
import type { StoredEvent } from '../../src/contracts/events.js';

let redis: TestRedis;
let cmd: Redis;
let blocking: Redis;
let tailer: Tailer;
const prefix = uniquePrefix('tailer');

beforeAll(async () => {
  redis = await startRedis();
  cmd = createRedis(redis.url, 'command');
  blocking = createRedis(redis.url, 'blocking');
  await Promise.all([waitReady(cmd), waitReady(blocking)]);
  // A long block: only CLIENT UNBLOCK can make a new key count quickly.
  tailer = createTailer({ blocking, command: cmd, blockMs: 30_000 });
  tailer.start();
});

afterAll(async () => {
  await tailer?.stop();
  cmd?.disconnect();
  blocking?.disconnect();
  await redis?.stop();
});

const add = (key: string, n: number) =>
  cmd.xadd(
    key,
    '*',
    'type',
    'log',
    'data',
    JSON.stringify({ type: 'log', jobId: key, attempt: 1, time: '', level: 'info', message: String(n) }),
  );

test('a stream subscribed while the read is blocked is tailed at once (CLIENT UNBLOCK)', async () => {
  const a = `${prefix}:a`;
  const b = `${prefix}:b`;
  await add(a, 0);
  const gotA: StoredEvent[] = [];
  const unA = await tailer.subscribe(a, (e) => gotA.push(e));
  await new Promise((r) => setTimeout(r, 200)); // now blocked in XREAD on [a]
  const gotB: StoredEvent[] = [];
  const unB = await tailer.subscribe(b, (e) => gotB.push(e));
  const t0 = Date.now();
  await add(b, 1);
  while (gotB.length === 0 && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 5));
  expect(gotB).toHaveLength(1);
  expect(Date.now() - t0).toBeLessThan(1000);
  expect(gotA).toHaveLength(0); // only entries after the subscription
  unA();
  unB();
  expect(tailer.stats()).toEqual({ streams: 0, listeners: 0 });
});

test('many streams, many listeners: every entry once, in order, to each listener of its stream', async () => {
  const keys = Array.from({ length: 8 }, (_, i) => `${prefix}:many:${i}`);
  const got = new Map<string, string[][]>();
  const unsubs: (() => void)[] = [];
  for (const k of keys) {
    const lists: string[][] = [[], []];
    got.set(k, lists);
    for (const list of lists) unsubs.push(await tailer.subscribe(k, (e) => list.push(e.id)));
  }
  const written = new Map<string, string[]>(keys.map((k) => [k, []]));
  await Promise.all(
    keys.map(async (k) => {
      for (let i = 0; i < 50; i++) written.get(k)!.push((await add(k, i)) as string);
    }),
  );
  const t0 = Date.now();
  while ([...got.values()].some((ls) => ls.some((l) => l.length < 50)) && Date.now() - t0 < 5000)
    await new Promise((r) => setTimeout(r, 10));
  for (const k of keys) for (const list of got.get(k)!) expect(list).toEqual(written.get(k));
  unsubs.forEach((u) => u());
  expect(tailer.stats().listeners).toBe(0);
});
