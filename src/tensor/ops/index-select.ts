/**
 * Row lookup and its adjoint: `indexSelect` picks rows of a matrix (torch.index_select(x, 0, idx),
 * the forward of nn.Embedding) and `indexAdd` adds rows into zeros at the given indices
 * (torch.index_add). Each is the other's derivative, so gradients of any order work.
 *
 * An optional `skip` index reproduces nn.Embedding's `padding_idx`: the forward still reads row
 * `skip`, but no gradient reaches it (torch's embedding_backward zeroes those rows).
 */
import { allocate } from '../dtype.js';
import { Tensor, result } from '../tensor.js';

function checkIndex(index: Int32Array, rows: number): void {
  for (let i = 0; i < index.length; i++) {
    if (!(index[i] >= 0 && index[i] < rows))
      throw new RangeError(`indexSelect: index ${index[i]} at position ${i} is outside [0, ${rows})`);
  }
}

/**
 * Rows `x[index[i]]` of x [R, ...rest], stacked: the result is [index.length, ...rest].
 * Derivative: ∂L/∂x[r] = Σ_{i: index[i] = r, r ≠ skip} g[i] (indexAdd).
 */
export function indexSelect(x: Tensor, index: Int32Array | readonly number[], skip?: number): Tensor {
  if (x.ndim < 1) throw new RangeError('indexSelect needs a tensor of rank ≥ 1');
  const idx = index instanceof Int32Array ? index : Int32Array.from(index);
  const rows = x.shape[0];
  checkIndex(idx, rows);
  const width = rows === 0 ? 0 : x.size / rows;
  const out = allocate(x.dtype, idx.length * width);
  for (let i = 0; i < idx.length; i++)
    out.set(x.data.subarray(idx[i] * width, (idx[i] + 1) * width), i * width);
  const shape = [idx.length, ...x.shape.slice(1)];
  return result('indexSelect', out, shape, [x], (g) => [indexAdd(g, idx, rows, skip)]);
}

/**
 * Zeros [rows, ...rest] with each row g[i] added at row index[i] (rows equal to `skip` left at zero):
 * the adjoint of indexSelect. Derivative: indexSelect of the gradient, zero where index[i] = skip.
 */
function indexAdd(g: Tensor, index: Int32Array, rows: number, skip?: number): Tensor {
  const width = g.shape[0] === 0 ? 0 : g.size / g.shape[0];
  const out = allocate(g.dtype, rows * width);
  for (let i = 0; i < index.length; i++) {
    const r = index[i];
    if (r === skip) continue;
    for (let j = 0; j < width; j++) out[r * width + j] += g.data[i * width + j];
  }
  const shape = [rows, ...g.shape.slice(1)];
  return result('indexAdd', out, shape, [g], (gg) => [selectSkipping(gg, index, skip)]);
}

/** indexSelect with the `skip` rows read as zeros: the adjoint of indexAdd with `skip`. */
function selectSkipping(x: Tensor, index: Int32Array, skip?: number): Tensor {
  if (skip === undefined) return indexSelect(x, index);
  const width = x.shape[0] === 0 ? 0 : x.size / x.shape[0];
  const out = allocate(x.dtype, index.length * width);
  for (let i = 0; i < index.length; i++) {
    if (index[i] !== skip) out.set(x.data.subarray(index[i] * width, (index[i] + 1) * width), i * width);
  }
  const shape = [index.length, ...x.shape.slice(1)];
  return result('indexSelect', out, shape, [x], (g) => [indexAdd(g, index, x.shape[0], skip)]);
}
