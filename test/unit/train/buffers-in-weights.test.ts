/**
 * Buffers travel with the weights: namedWeights puts each module's buffers after its parameters
 * (torch's state_dict order) and marks integer ones, and safetensors stores those as I64 and reads
 * them back. (The basic layers have no buffers; this pins the path batchnorm will take.)
 */
import { describe, expect, it } from 'vitest';
import type { Model } from '../../../src/models/dense.js';
import { decodeSafetensors, encodeSafetensors } from '../../../src/queue/safetensors.js';
import { Tensor } from '../../../src/tensor/index.js';
import { namedWeights } from '../../../src/train/named-weights.js';

const t = (...v: number[]) => new Tensor(Float32Array.from(v), [v.length], true);

/** A model shaped like Sequential(Linear(1, 2), BatchNorm1d(2), Linear(2, 1)). */
const model = {
  params: [
    { name: '0.weight', tensor: t(1, 2), isWeight: true },
    { name: '0.bias', tensor: t(3, 4), isWeight: false },
    { name: '1.weight', tensor: t(1, 1), isWeight: false },
    { name: '1.bias', tensor: t(0, 0), isWeight: false },
    { name: '2.weight', tensor: t(5, 6), isWeight: true },
  ],
  buffers: [
    { name: '1.running_mean', shape: [2], data: Float32Array.of(0.5, -0.5), integer: false },
    { name: '1.running_var', shape: [2], data: Float32Array.of(1, 2), integer: false },
    { name: '1.num_batches_tracked', shape: [1], data: Float32Array.of(7), integer: true },
  ],
} as unknown as Model;

describe('buffers in the weights', () => {
  it("follow their module's parameters, in torch's state_dict order", () => {
    const w = namedWeights(
      model,
      model.params.map((p) => p.tensor.data),
    );
    expect(Object.keys(w)).toEqual([
      '0.weight',
      '0.bias',
      '1.weight',
      '1.bias',
      '1.running_mean',
      '1.running_var',
      '1.num_batches_tracked',
      '2.weight',
    ]);
    expect(w['1.num_batches_tracked'].integer).toBe(true);
    expect(w['1.running_mean'].integer).toBeUndefined();
  });

  it('integer buffers are I64 in safetensors and decode back as integers', () => {
    const w = namedWeights(
      model,
      model.params.map((p) => p.tensor.data),
    );
    const bytes = encodeSafetensors(w);
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8'));
    expect(header['1.num_batches_tracked'].dtype).toBe('I64');
    expect(header['1.running_var'].dtype).toBe('F32');
    const back = decodeSafetensors(bytes).weights;
    expect(Array.from(back['1.num_batches_tracked'].data)).toEqual([7]);
    expect(back['1.num_batches_tracked'].integer).toBe(true);
    expect(Array.from(back['1.running_var'].data)).toEqual([1, 2]);
  });
});
