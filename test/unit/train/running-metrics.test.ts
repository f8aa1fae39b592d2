/** Running training metrics agree with the batch metrics of src/models when fed the same rows. */
import { describe, expect, it } from 'vitest';
import { accuracy, meanAbsoluteError, r2 } from '../../../src/models/index.js';
import { createRng } from '../../../src/rng/rng.js';
import { RunningMetrics } from '../../../src/train/running-metrics.js';

describe('RunningMetrics', () => {
  const rng = createRng(4);
  it('accuracy over several batches equals accuracy over all rows', () => {
    const logits = Float64Array.from({ length: 30 * 3 }, () => rng.normal());
    const labels = Int32Array.from({ length: 30 }, () => rng.int(3));
    const m = new RunningMetrics(true, 3);
    m.add(logits.subarray(0, 36), labels.subarray(0, 12), 12);
    m.add(logits.subarray(36), labels.subarray(12), 18);
    expect(m.result().accuracy).toBeCloseTo(accuracy(logits, 3, labels), 15);
  });
  it('r2 and mae over several batches equal the whole-set values, per column averaged', () => {
    const y = Float64Array.from({ length: 40 * 2 }, () => rng.normal() * 3 + 1);
    const p = y.map((v) => v + rng.normal() * 0.5);
    const m = new RunningMetrics(false, 2);
    m.add(p.subarray(0, 20), y.subarray(0, 20), 10);
    m.add(p.subarray(20), y.subarray(20), 30);
    const r = m.result();
    expect(r.r2).toBeCloseTo(r2(p, y, 2), 12);
    expect(r.mae).toBeCloseTo(meanAbsoluteError(p, y), 12);
    const s = m.state();
    const again = new RunningMetrics(false, 2);
    again.restore(s);
    expect(again.result()).toEqual(r);
  });
});
