/** Analytic test objectives for Newton's method: explicit gradients, Hessians and HVPs. */
import type { NewtonProblem } from '../../../src/optim/index.js';

/** f(w) = ‖Xw − y‖²/(2N): gradient Xᵀ(Xw − y)/N, Hessian XᵀX/N (explicit). */
export function leastSquares(X: Float64Array, y: Float64Array, rows: number, cols: number): NewtonProblem {
  const resid = (w: Float64Array) => {
    const r = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let s = -y[i];
      for (let j = 0; j < cols; j++) s += X[i * cols + j] * w[j];
      r[i] = s;
    }
    return r;
  };
  const hess = new Float64Array(cols * cols);
  for (let a = 0; a < cols; a++)
    for (let b = 0; b < cols; b++) {
      let s = 0;
      for (let i = 0; i < rows; i++) s += X[i * cols + a] * X[i * cols + b];
      hess[a * cols + b] = s / rows;
    }
  return {
    lossAndGrad(w) {
      const r = resid(w);
      const grad = new Float64Array(cols);
      let loss = 0;
      for (let i = 0; i < rows; i++) {
        loss += r[i] * r[i];
        for (let j = 0; j < cols; j++) grad[j] += (X[i * cols + j] * r[i]) / rows;
      }
      return { loss: loss / (2 * rows), grad };
    },
    hessian: () => hess.slice(),
  };
}

/**
 * L2-regularized logistic regression, f(w) = mean(softplus(z) − y·z) + λ/2‖w‖², z = Xw:
 * gradient Xᵀ(σ(z) − y)/N + λw, Hessian XᵀDX/N + λI with D = σ(z)(1 − σ(z)), HVP Xᵀ(D·Xv)/N + λv.
 */
export function logistic(
  X: Float64Array,
  y: Float64Array,
  rows: number,
  cols: number,
  lambda: number,
): NewtonProblem {
  const z = (w: Float64Array) => {
    const out = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let s = 0;
      const r = i * cols;
      for (let j = 0; j < cols; j++) s += X[r + j] * w[j];
      out[i] = s;
    }
    return out;
  };
  const softplus = (v: number) => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v)));
  const sigmoid = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
  const loss = (w: Float64Array) => {
    const zs = z(w);
    let s = 0;
    for (let i = 0; i < rows; i++) s += softplus(zs[i]) - y[i] * zs[i];
    let reg = 0;
    for (let j = 0; j < cols; j++) reg += w[j] * w[j];
    return s / rows + 0.5 * lambda * reg;
  };
  return {
    loss,
    lossAndGrad(w) {
      const zs = z(w);
      const grad = new Float64Array(cols);
      for (let i = 0; i < rows; i++) {
        const c = (sigmoid(zs[i]) - y[i]) / rows;
        const r = i * cols;
        for (let j = 0; j < cols; j++) grad[j] += X[r + j] * c;
      }
      for (let j = 0; j < cols; j++) grad[j] += lambda * w[j];
      return { loss: loss(w), grad };
    },
    hessian(w) {
      const zs = z(w);
      const h = new Float64Array(cols * cols);
      for (let i = 0; i < rows; i++) {
        const s = sigmoid(zs[i]);
        const d = (s * (1 - s)) / rows;
        const r = i * cols;
        for (let a = 0; a < cols; a++) {
          const xa = X[r + a] * d;
          const ha = a * cols;
          for (let b = 0; b <= a; b++) h[ha + b] += xa * X[r + b];
        }
      }
      for (let a = 0; a < cols; a++) {
        h[a * cols + a] += lambda;
        for (let b = 0; b < a; b++) h[b * cols + a] = h[a * cols + b];
      }
      return h;
    },
    hvp(w, v) {
      const zs = z(w);
      const xv = z(v);
      const out = new Float64Array(cols);
      for (let i = 0; i < rows; i++) {
        const s = sigmoid(zs[i]);
        const c = (s * (1 - s) * xv[i]) / rows;
        const r = i * cols;
        for (let j = 0; j < cols; j++) out[j] += X[r + j] * c;
      }
      for (let j = 0; j < cols; j++) out[j] += lambda * v[j];
      return out;
    },
  };
}
