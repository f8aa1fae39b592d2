/**
 * The parts of src/queue that need no Redis: the key layout (one prefix, one Cluster slot per
 * job), ids (sortable by creation, never a `:`), and the safetensors encoding of the weights
 * (byte layout per the format, round trip, refusals).
 */
import { describe, expect, it } from 'vitest';
import { createKeys } from '../../../src/queue/keys.js';
import { newId } from '../../../src/queue/ids.js';
import { decodeSafetensors, encodeSafetensors, nest, sha256Hex } from '../../../src/queue/safetensors.js';

describe('keys', () => {
  const k = createKeys('{descent}');
  const id = 'job_0mif3k2a1x7d9q2zk4';
  const all = [
    k.job(id),
    k.events(id),
    k.weights(id),
    k.checkpoint(id),
    k.checkpoints(id),
    k.jobIndex('t1'),
    k.idempotency('t1', 'abc'),
    k.active('t1'),
    k.dataset('ds_1'),
    k.datasetIndex('t1'),
    k.datasetIndexBuilt,
    k.workers,
    k.workerInfo,
    k.cancelChannel,
  ];

  it('every key starts with the prefix (the hash tag), so multi-key scripts run in one slot', () => {
    for (const key of all) expect(key.startsWith('{descent}:')).toBe(true);
    expect(k.prefix).toBe('{descent}');
  });

  it('no two keys collide', () => {
    expect(new Set(all).size).toBe(all.length);
  });

  it("a job's records sit under its hash key", () => {
    for (const key of [k.events(id), k.weights(id), k.checkpoint(id), k.checkpoints(id)])
      expect(key.startsWith(`${k.job(id)}:`)).toBe(true);
  });

  it('two prefixes (two deployments on one Redis) share no key', () => {
    const other = createKeys('{other}');
    expect(other.job(id)).not.toBe(k.job(id));
    expect(other.workers).not.toBe(k.workers);
  });
});

describe('ids', () => {
  it('look like job_/ds_ + 22 base-36 characters, never digits only, never a ":"', () => {
    for (let i = 0; i < 200; i++) {
      expect(newId('job')).toMatch(/^job_[0-9a-z]{22}$/);
      expect(newId('ds')).toMatch(/^ds_[0-9a-z]{22}$/);
    }
  });

  it('sort by creation, even within one millisecond (the newest-first index relies on it)', () => {
    const ids = Array.from({ length: 2000 }, () => newId('job'));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('start with the creation time in base 36', () => {
    const before = Date.now();
    const id = newId('job');
    const t = parseInt(id.slice(4, 13), 36);
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
  });
});

describe('safetensors', () => {
  const weights = {
    weight: { shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
    bias: { shape: [2], data: Float64Array.of(-0.5, 0.25) },
  };

  it('lays out the bytes as the format says: u64 LE header size, JSON header padded to 8, raw LE data', () => {
    const buf = encodeSafetensors(weights, { format: 'pt' });
    const n = Number(buf.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
    expect(header).toEqual({
      __metadata__: { format: 'pt' },
      weight: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
      bias: { dtype: 'F64', shape: [2], data_offsets: [24, 40] },
    });
    expect(buf.length).toBe(8 + n + 40);
    expect(buf.readFloatLE(8 + n + 4 * 5)).toBe(6);
    expect(buf.readDoubleLE(8 + n + 24 + 8)).toBe(0.25);
    // padding is spaces, after the JSON
    expect(/^[^ ]*\}\s*$/.test(buf.subarray(8, 8 + n).toString('utf8'))).toBe(true);
  });

  it('round-trips names (in order), shapes, dtypes and bits', () => {
    const { weights: back, metadata } = decodeSafetensors(encodeSafetensors(weights, { step: '3' }));
    expect(Object.keys(back)).toEqual(['weight', 'bias']);
    expect(back.weight.data).toBeInstanceOf(Float32Array);
    expect(back.bias.data).toBeInstanceOf(Float64Array);
    expect(back).toEqual(weights);
    expect(metadata).toEqual({ step: '3' });
  });

  it('has no __metadata__ entry without metadata', () => {
    const buf = encodeSafetensors(weights);
    const header = JSON.parse(buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString('utf8'));
    expect(Object.keys(header)).toEqual(['weight', 'bias']);
  });

  it('encodes the same weights to the same bytes (the ETag is their sha256)', () => {
    expect(sha256Hex(encodeSafetensors(weights))).toBe(
      sha256Hex(encodeSafetensors(structuredClone(weights))),
    );
  });

  it('refuses a shape that does not match the data, and a truncated or lying file', () => {
    expect(() => encodeSafetensors({ w: { shape: [2, 2], data: new Float32Array(3) } })).toThrow(
      /shape \[2,2\] holds 4 values, data has 3/,
    );
    const buf = encodeSafetensors(weights);
    expect(() => decodeSafetensors(buf.subarray(0, 4))).toThrow(/shorter than its header length/);
    expect(() => decodeSafetensors(buf.subarray(0, 20))).toThrow(/header length past end of file/);
    expect(() => decodeSafetensors(buf.subarray(0, buf.length - 1))).toThrow(/bad offsets for bias/);
  });

  it('nest turns flat row-major data back into nested arrays', () => {
    expect(nest([1, 2, 3, 4, 5, 6], [2, 3])).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(nest([7], [])).toBe(7);
  });
});
