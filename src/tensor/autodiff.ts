/**
 * Reverse-mode automatic differentiation over the graph that ops record.
 *
 * `grad(y, xs)` walks the graph from y back to xs in reverse topological order, applying each op's
 * vector-Jacobian product and summing contributions (the chain rule: a node used twice receives
 * the sum of both paths' gradients). With `createGraph` the vjps are themselves recorded, so the
 * gradient can be differentiated again: that is how `hvp`, `hessian` and Newton's method work.
 */
import { allocate, type FloatArray } from './dtype.js';
import { add, cast, mul } from './ops/elementwise.js';
import { sum } from './ops/reduce.js';
import { reshape } from './ops/movement.js';
import { sameShape } from './shape.js';
import { Tensor, withGradMode, ones } from './tensor.js';

/** Options of `grad`. */
export interface GradOptions {
  /** Record the backward pass so the result can be differentiated again (default false). */
  createGraph?: boolean;
  /** The vector in the vector-Jacobian product; required when `output` is not a scalar. */
  gradOutput?: Tensor;
}

/** Nodes reachable backwards from `output`, in topological order (inputs before users). */
function topoSort(output: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS: deep graphs (long unrolled loops) would overflow a recursive one.
  const stack: Array<[Tensor, number]> = [[output, 0]];
  seen.add(output);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node ? t.node.inputs : [];
    if (i < inputs.length) {
      top[1]++;
      const child = inputs[i];
      if (child.requiresGrad && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

/**
 * Gradients of `output` with respect to each of `inputs` (torch.autograd.grad). Inputs that
 * `output` does not depend on get zeros. With `createGraph`, the results carry a graph.
 */
export function grad(output: Tensor, inputs: readonly Tensor[], opts: GradOptions = {}): Tensor[] {
  let seed = opts.gradOutput;
  if (!seed) {
    if (output.size !== 1) {
      throw new RangeError(`grad of a non-scalar output [${output.shape.join(', ')}] needs gradOutput`);
    }
    seed = ones(output.shape, output.dtype);
  } else if (!sameShape(seed.shape, output.shape)) {
    throw new RangeError(
      `gradOutput shape [${seed.shape.join(', ')}] differs from output shape [${output.shape.join(', ')}]`,
    );
  }
  if (!output.requiresGrad) {
    throw new RangeError(
      'grad: the output does not depend on any tensor that requires a gradient (was it built under noGrad?)',
    );
  }
  const createGraph = opts.createGraph ?? false;
  const grads = accumulate(output, seed, new Set(inputs), createGraph);
  const handed = new Set<FloatArray>([seed.data]);
  return inputs.map((x) => {
    const g = grads.get(x);
    if (!g) return new Tensor(allocate(x.dtype, x.size), x.shape);
    return unaliased(g, handed, createGraph);
  });
}

/**
 * A gradient tensor that no other returned gradient (nor the seed) shares: vjps pass gradients
 * through unchanged (add, reshape), so two inputs can receive the very same tensor, and an
 * in-place edit of one (clipping, weight decay) would silently change the other.
 */
function unaliased(g: Tensor, handed: Set<FloatArray>, createGraph: boolean): Tensor {
  // Compare storage, not tensor objects: reshape's vjp wraps the same buffer in a new tensor.
  if (!handed.has(g.data)) {
    handed.add(g.data);
    return g;
  }
  const copy = createGraph ? mul(g, 1) : new Tensor(g.data.slice(), g.shape);
  handed.add(copy.data);
  return copy;
}

/**
 * Backpropagate from a scalar `loss` (or any output with `gradOutput`) and add the gradients into
 * `.grad` of every leaf that requires one, as torch's `backward()` does.
 */
export function backward(loss: Tensor, gradOutput?: Tensor): void {
  const leaves = new Set<Tensor>();
  for (const t of topoSort(loss)) if (!t.node && t.requiresGrad) leaves.add(t);
  if (!gradOutput && loss.size !== 1) {
    throw new RangeError(`backward of a non-scalar output [${loss.shape.join(', ')}] needs gradOutput`);
  }
  if (!loss.requiresGrad) {
    throw new RangeError(
      'backward: the output does not depend on any tensor that requires a gradient (was it built under noGrad?)',
    );
  }
  const seed = gradOutput ?? ones(loss.shape, loss.dtype);
  const grads = accumulate(loss, seed, leaves, false);
  const handed = new Set<FloatArray>([seed.data]);
  for (const leaf of leaves) {
    const g = grads.get(leaf);
    if (!g) continue;
    leaf.grad = leaf.grad ? withGradMode(false, () => add(leaf.grad!, g)) : unaliased(g, handed, false);
  }
}

/** The backward sweep shared by `grad` and `backward`. */
function accumulate(
  output: Tensor,
  seed: Tensor,
  targets: Set<Tensor>,
  createGraph: boolean,
): Map<Tensor, Tensor> {
  const order = topoSort(output);
  // Only nodes on a path to a target need a gradient: mark them in topological order.
  const needed = new Set<Tensor>();
  for (const t of order) {
    if (targets.has(t) || (t.node && t.node.inputs.some((x) => needed.has(x)))) needed.add(t);
  }
  const grads = new Map<Tensor, Tensor>();
  if (!needed.has(output)) return grads;
  grads.set(output, seed);
  withGradMode(createGraph, () => {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const node = t.node;
      const g = grads.get(t);
      if (!node || !g) continue;
      const inGrads = node.vjp(g);
      for (let j = 0; j < node.inputs.length; j++) {
        const x = node.inputs[j];
        const gx = inGrads[j];
        if (!needed.has(x) || !gx) continue;
        // A gradient has its input's dtype, as in torch (float32 weights × float64 data → float32 grad).
        const gt = gx.dtype === x.dtype ? gx : cast(gx, x.dtype);
        const prev = grads.get(x);
        grads.set(x, prev ? add(prev, gt) : gt);
      }
      // A non-target intermediate's gradient is no longer needed once passed on.
      if (!targets.has(t)) grads.delete(t);
    }
  });
  return grads;
}

/** A fresh leaf with the values of `x` that records a graph. */
function leafOf(x: Tensor): Tensor {
  return new Tensor(x.data, x.shape, true);
}

/**
 * Hessian-vector product H(x)·v of a scalar function, by double backward:
 * Hv = ∇ₓ (∇ₓf(x) · v). Costs about two gradient evaluations; never forms H.
 */
export function hvp(f: (x: Tensor) => Tensor, x: Tensor, v: Tensor): Tensor {
  const xx = leafOf(x);
  const [g] = grad(f(xx), [xx], { createGraph: true });
  // f linear in x: the gradient is constant and the Hessian is zero.
  if (!g.requiresGrad) return new Tensor(allocate(x.dtype, x.size), x.shape);
  const [hv] = grad(sum(mul(g, v)), [xx]);
  return hv;
}

/**
 * Full Hessian of a scalar function, shape [...x.shape, ...x.shape]: one backward pass through the
 * gradient's graph per entry of x.
 */
export function hessian(f: (x: Tensor) => Tensor, x: Tensor): Tensor {
  const xx = leafOf(x);
  const [g] = grad(f(xx), [xx], { createGraph: true });
  return rowsOf(g, xx, x);
}

/**
 * Jacobian of a tensor function, shape [...f(x).shape, ...x.shape]: one vector-Jacobian product
 * per output element.
 */
export function jacobian(f: (x: Tensor) => Tensor, x: Tensor): Tensor {
  const xx = leafOf(x);
  const y = f(xx);
  return rowsOf(y, xx, x);
}

/** Stack ∂y_i/∂x for every element i of y. */
function rowsOf(y: Tensor, xx: Tensor, x: Tensor): Tensor {
  const n = y.size;
  const out = allocate(x.dtype === 'float64' || y.dtype === 'float64' ? 'float64' : 'float32', n * x.size);
  const e = new Tensor(allocate(y.dtype, n), y.shape);
  for (let i = 0; i < n; i++) {
    e.data.fill(0);
    e.data[i] = 1;
    const [gi] = y.requiresGrad
      ? grad(y, [xx], { gradOutput: e })
      : [new Tensor(allocate(x.dtype, x.size), x.shape)];
    out.set(gi.data, i * x.size);
  }
  return reshape(new Tensor(out, [n * x.size]), [...y.shape, ...x.shape]);
}
