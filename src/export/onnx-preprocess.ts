/**
 * A job's fitted table preprocessing as ONNX nodes, so the exported graph takes table columns,
 * not features. The graph's input holds one float per fitted column, in the fitted order: the value
 * of a numeric or boolean column (0/1), the index of a categorical value in the column's
 * `categories` (listed in the model's metadata), NaN for a missing value.
 *
 * Per column, what src/data/preprocess/apply.ts does: a missing value takes the fitted fill
 * (Where(IsNaN)); standardize is (x − mean)/std, minmax x·scale + offset; one-hot compares the
 * index with 0 … K−1 (Equal), so an unknown index (or a missing value with no fill) encodes as all
 * zeros; ordinal is the index, −1 when unknown. A graph cannot refuse a row, so what /predict
 * refuses (a missing value under "error" or "drop", an unknown category under "error") comes out as
 * NaN (numeric) or zeros (categorical) here.
 */
import { minMaxTransform } from '../data/preprocess/stats.js';
import type { FittedPreprocess } from '../data/preprocess/types.js';
import type { GraphBuilder } from './onnx-graph.js';

/** The features [N, width] from the raw columns `x` [N, columns]. */
export function preprocessNodes(b: GraphBuilder, x: string, fitted: FittedPreprocess): string {
  const parts = fitted.columns.map((c, j) => {
    let v = b.op('Gather', [x, b.ints('column', [j])], { axis: 1 }); // [N, 1]
    if (c.type === 'categorical') {
      if (c.fill !== undefined) {
        const at = c.categories.indexOf(c.fill);
        v = b.op('Where', [b.op('IsNaN', [v]), b.scalar(at), v]);
      }
      const k = c.categories.length;
      const codes = b.constant(
        `${c.name}.codes`,
        [k],
        Array.from({ length: k }, (_, i) => i),
      );
      const onehot = b.op('Cast', [b.op('Equal', [v, codes])], { to: 1 }); // [N, K], 1: FLOAT
      if (c.encoding === 'onehot') return onehot;
      // ordinal: Σ onehot·(i + 1) − 1 is the index, or −1 when no category matched
      const plus1 = b.constant(
        `${c.name}.ordinal`,
        [k, 1],
        Array.from({ length: k }, (_, i) => i + 1),
      );
      return b.op('Sub', [b.op('MatMul', [onehot, plus1]), b.scalar(1)]);
    }
    if (c.fill !== undefined) v = b.op('Where', [b.op('IsNaN', [v]), b.scalar(c.fill), v]);
    if (c.scaling === 'standardize')
      return b.op('Div', [b.op('Sub', [v, b.scalar(c.mean as number)]), b.scalar(c.std as number)]);
    if (c.scaling === 'minmax') {
      const { scale, offset } = minMaxTransform(c.min as number, c.max as number);
      return b.op('Add', [b.op('Mul', [v, b.scalar(scale)]), b.scalar(offset)]);
    }
    return v;
  });
  return parts.length === 1 ? parts[0] : b.op('Concat', parts, { axis: 1 });
}
