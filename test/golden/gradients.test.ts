/**
 * Values and gradients of our engine against PyTorch 1.13 (float64), case by case.
 *
 * Fixture: test/golden/fixtures/grad.json, written by scripts/fixtures/grad_fixtures.py
 * (`/usr/bin/python3 scripts/fixtures/grad_fixtures.py`). Each case stores its inputs exactly, torch's
 * value, and torch's gradients of Σ value ⊙ gradOutput with respect to every differentiable input.
 * Scalar cases go through `backward` (and `.grad`), the others through `grad(..., { gradOutput })`.
 *
 * Second order: H·v by double backward against torch's (fixtures/grad_hvp.json), same tolerance.
 *
 * Tolerance: |ours − torch| ≤ 1e-12·max(|ours|, |torch|) + 1e-14 for every value and gradient element.
 * Losses are written here with engine ops, as the brief defines them (mean reduction over all elements).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Tensor,
  tensor,
  add,
  sub,
  mul,
  div,
  neg,
  pow,
  exp,
  log,
  sqrt,
  abs,
  sin,
  cos,
  erf,
  tanh,
  sigmoid,
  relu,
  leakyRelu,
  elu,
  gelu,
  softplus,
  maximum,
  minimum,
  matmul,
  transpose,
  reshape,
  sum,
  mean,
  max,
  min,
  logsumexp,
  softmax,
  logSoftmax,
  gather,
  concat,
  slice,
  where,
  clamp,
  backward,
  grad,
  setKernels,
  kernels,
  type Kernels,
} from '../../src/tensor/index.js';
import {
  computeLoss,
  forwardDense,
  penalty,
  type LossName,
  type NamedParam,
  type Targets,
} from '../../src/models/index.js';
import { firstMismatch, kernelBackends } from '../helpers/gradcheck.js';

interface Enc {
  shape: number[];
  data: (number | string)[];
  grad?: boolean;
  int?: boolean;
}
interface Case {
  name: string;
  op: string;
  params: Record<string, unknown>;
  inputs: Record<string, Enc>;
  gradOutput: Enc | null;
  value: Enc;
  grads: Record<string, Enc>;
}
interface Fixture {
  torch: string;
  cases: Case[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/grad.json', import.meta.url), 'utf8')) as Fixture;

/** Second order: for each case of grad.json (kinks excepted), v and torch's double-backward H·v per input. */
interface HvpCase {
  name: string;
  v: Record<string, Enc>;
  hv: Record<string, Enc>;
}
/** A subset recomputed by torch in float32 from the float32 roundings of the inputs. */
interface F32Case {
  name: string;
  value: Enc;
  grads: Record<string, Enc>;
}
const f32Fixture = JSON.parse(readFileSync(new URL('./fixtures/grad_f32.json', import.meta.url), 'utf8')) as {
  cases: F32Case[];
};
const hvpFixture = JSON.parse(readFileSync(new URL('./fixtures/grad_hvp.json', import.meta.url), 'utf8')) as {
  cases: HvpCase[];
};

function num(v: number | string): number {
  if (typeof v === 'number') return v;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return NaN;
}
const decode = (e: Enc): Float64Array => Float64Array.from(e.data, num);

type Inputs = Record<string, Tensor> & { index?: Tensor };
type Params = Record<string, unknown>;
type Builder = (v: Inputs, p: Params, idx: number[]) => Tensor;

const P = (p: Params, k: string): number => p[k] as number;
const axisOf = (p: Params): number | number[] | undefined =>
  p.axis === null ? undefined : (p.axis as number | number[]);

// ---- losses, mean reduction over all elements (api-v1.md), with engine ops only
/** mean((pred − target)²) */
const mse = (pred: Tensor, target: Tensor): Tensor => mean(pow(sub(pred, target), 2));
/** mean(|pred − target|) */
const l1 = (pred: Tensor, target: Tensor): Tensor => mean(abs(sub(pred, target)));
/**
 * Huber: ½r² for |r| ≤ δ, δ(|r| − ½δ) beyond. Written as ½c² + δ(|r| − c) with c = min(|r|, δ):
 * equal to both branches, and its gradient at |r| = δ is r (clamp passes gradient at its bound), as torch.
 */
const huber = (pred: Tensor, target: Tensor, delta: number): Tensor => {
  const r = abs(sub(pred, target));
  const c = clamp(r, null, delta);
  return mean(add(mul(0.5, pow(c, 2)), mul(delta, sub(r, c))));
};
/**
 * BCE with logits: mean(max(x, 0) − x·y + log(1 + exp(−|x|))). `maximum` splits the tie at x = 0, giving
 * torch's gradient σ(0) − y = ½ − y there (relu would give −y). Value and gradient match torch everywhere,
 * but the second derivative does not at x = 0 exactly: autodiff sees |x|'' = 0 and sign(0) = 0 there and
 * returns 0 instead of σ(0)(1 − σ(0)) = ¼. So second-order checks use the softplus form below.
 */
const bceLogits = (x: Tensor, y: Tensor): Tensor =>
  mean(add(sub(maximum(x, 0), mul(x, y)), log(add(1, exp(neg(abs(x)))))));
/** BCE with logits as mean(softplus(x) − x·y): smooth, so right to second order at x = 0 too. */
const bceLogitsSmooth = (x: Tensor, y: Tensor): Tensor => mean(sub(softplus(x), mul(x, y)));
/** Cross-entropy on logits [N, C] with class indices [N]: mean(−log_softmax(x)[i, y_i]). */
const crossEntropy = (x: Tensor, index: number[]): Tensor => neg(mean(gather(logSoftmax(x, -1), index, -1)));

const BUILDERS: Record<string, Builder> = {
  tanh: (v) => tanh(v.x),
  sigmoid: (v) => sigmoid(v.x),
  relu: (v) => relu(v.x),
  leakyRelu: (v, p) => (p.slope === undefined ? leakyRelu(v.x) : leakyRelu(v.x, P(p, 'slope'))),
  elu: (v, p) => (p.alpha === undefined ? elu(v.x) : elu(v.x, P(p, 'alpha'))),
  gelu: (v) => gelu(v.x),
  softplus: (v, p) => (p.beta === undefined ? softplus(v.x) : softplus(v.x, P(p, 'beta'), P(p, 'threshold'))),
  exp: (v) => exp(v.x),
  log: (v) => log(v.x),
  sqrt: (v) => sqrt(v.x),
  abs: (v) => abs(v.x),
  neg: (v) => neg(v.x),
  sin: (v) => sin(v.x),
  cos: (v) => cos(v.x),
  erf: (v) => erf(v.x),
  pow: (v, p) => pow(v.x, P(p, 'p')),
  add: (v) => add(v.a, v.b),
  sub: (v) => sub(v.a, v.b),
  mul: (v) => mul(v.a, v.b),
  div: (v) => div(v.a, v.b),
  maximum: (v) => maximum(v.a, v.b),
  minimum: (v) => minimum(v.a, v.b),
  addNumRight: (v, p) => add(v.a, P(p, 'c')),
  subNumRight: (v, p) => sub(v.a, P(p, 'c')),
  mulNumRight: (v, p) => mul(v.a, P(p, 'c')),
  divNumRight: (v, p) => div(v.a, P(p, 'c')),
  addNumLeft: (v, p) => add(P(p, 'c'), v.a),
  subNumLeft: (v, p) => sub(P(p, 'c'), v.a),
  mulNumLeft: (v, p) => mul(P(p, 'c'), v.a),
  divNumLeft: (v, p) => div(P(p, 'c'), v.a),
  // ((a·b − a/b + 3)² + exp(a)·b).sum() / 7
  chain: (v) => div(sum(add(pow(add(sub(mul(v.a, v.b), div(v.a, v.b)), 3), 2), mul(exp(v.a), v.b))), 7),
  clamp: (v, p) => clamp(v.x, p.min as number | null, p.max as number | null),
  where: (v) => where(v.cond, v.a, v.b),
  sum: (v, p) => sum(v.x, axisOf(p), p.keepdim as boolean),
  mean: (v, p) => mean(v.x, axisOf(p), p.keepdim as boolean),
  max: (v, p) => max(v.x, axisOf(p), p.keepdim as boolean),
  min: (v, p) => min(v.x, axisOf(p), p.keepdim as boolean),
  logsumexp: (v, p) => logsumexp(v.x, P(p, 'axis'), p.keepdim as boolean),
  softmax: (v, p) => softmax(v.x, P(p, 'axis')),
  logSoftmax: (v, p) => logSoftmax(v.x, P(p, 'axis')),
  matmul: (v) => matmul(v.a, v.b),
  transpose: (v, p) =>
    P(p, 'dim0') === -2 && P(p, 'dim1') === -1 ? transpose(v.x) : transpose(v.x, P(p, 'dim0'), P(p, 'dim1')),
  reshape: (v, p) => reshape(v.x, p.shape as number[]),
  concat: (v, p) => concat([v.a, v.b, v.c], P(p, 'axis')),
  slice: (v, p) => slice(v.x, P(p, 'axis'), P(p, 'start'), P(p, 'end')),
  gather: (v, p, idx) => gather(v.x, idx, P(p, 'axis')),
  mse: (v) => mse(v.pred, v.target),
  l1: (v) => l1(v.pred, v.target),
  huber: (v, p) => huber(v.pred, v.target, P(p, 'delta')),
  bceLogits: (v) => bceLogits(v.pred, v.target),
  crossEntropy: (v, _p, idx) => crossEntropy(v.pred, idx),
  mlp: (v, p, idx) => {
    const lin = (x: Tensor, w: Tensor, b: Tensor): Tensor => add(matmul(x, transpose(w)), b);
    const h1 = tanh(lin(v.x, v.w1, v.b1));
    const h2 = relu(lin(h1, v.w2, v.b2));
    const out = lin(h2, v.w3, v.b3);
    const l2 = add(add(sum(pow(v.w1, 2)), sum(pow(v.w2, 2))), sum(pow(v.w3, 2)));
    return add(crossEntropy(out, idx), mul(P(p, 'l2'), l2));
  },
};

/** The same losses through the training code's module (src/models/losses.ts), as the trainer calls them. */
const viaModule =
  (name: LossName): Builder =>
  (v, p, idx) => {
    const targets: Targets =
      name === 'cross_entropy'
        ? { kind: 'classes', y: Int32Array.from(idx) }
        : { kind: 'values', y: v.target };
    return computeLoss(name, v.pred, targets, name === 'huber' ? P(p, 'delta') : undefined);
  };
const MODULE_BUILDERS: Record<string, Builder> = {
  mse: viaModule('mse'),
  l1: viaModule('mae'),
  huber: viaModule('huber'),
  bceLogits: viaModule('bce'),
  crossEntropy: viaModule('cross_entropy'),
};

/**
 * An MLP exactly as the trainer builds it: forwardDense (nn.Linear layers, one activation) + computeLoss +
 * penalty (l1·Σ|W| + l2·ΣW² over weights only).
 */
BUILDERS.mlpModule = (v, p, idx) => {
  const ps = [v.w1, v.b1, v.w2, v.b2, v.w3, v.b3];
  const config = { type: 'mlp', hidden: [5, 3], activation: p.activation, dropout: 0 } as Parameters<
    typeof forwardDense
  >[0];
  const out = forwardDense(config, ps, v.x);
  const name = p.loss as LossName;
  const targets: Targets =
    name === 'cross_entropy' ? { kind: 'classes', y: Int32Array.from(idx) } : { kind: 'values', y: v.target };
  const loss = computeLoss(name, out, targets, P(p, 'huberDelta'));
  const named: NamedParam[] = ps.map((t, i) => ({ name: `p${i}`, tensor: t, isWeight: i % 2 === 0 }));
  const pen = penalty(named, P(p, 'l1'), P(p, 'l2'));
  return pen ? add(loss, pen) : loss;
};

/** As BUILDERS, with the smooth BCE form for second order (see bceLogits). */
const HVP_BUILDERS: Record<string, Builder> = {
  ...BUILDERS,
  bceLogits: (v) => bceLogitsSmooth(v.pred, v.target),
};

function build(
  c: Case,
  builders: Record<string, Builder> = BUILDERS,
  dtype: 'float32' | 'float64' = 'float64',
): { leaves: [string, Tensor][]; out: Tensor } {
  const v: Inputs = {};
  const leaves: [string, Tensor][] = [];
  let idx: number[] = [];
  for (const [k, e] of Object.entries(c.inputs)) {
    if (e.int) {
      idx = Array.from(decode(e));
      continue;
    }
    const t = tensor(decode(e), { shape: e.shape, dtype, requiresGrad: e.grad === true });
    v[k] = t;
    if (e.grad) leaves.push([k, t]);
  }
  const b = builders[c.op];
  if (!b) throw new Error(`no builder for op ${c.op}`);
  return { leaves, out: b(v, c.params, idx) };
}

function expectClose(what: string, got: ArrayLike<number>, want: Float64Array): void {
  const m = firstMismatch(got, want);
  expect(m, `${what}: element ${m?.index}: ours ${m?.got} vs torch ${m?.want}`).toBeNull();
}

describe.each(kernelBackends())(
  `gradients against torch ${fixture.torch} (float64, ≤1e-12 relative), %s kernels`,
  (name, k) => {
    let prev: Kernels;
    beforeAll(() => {
      prev = setKernels(k);
    });
    afterAll(() => {
      setKernels(prev);
    });
    it('fixture has cases; the backend is active', () => {
      expect(fixture.cases.length).toBeGreaterThan(100);
      expect(kernels()).toBe(k);
      void name;
    });

    const runs: [string, Case, Record<string, Builder>][] = [];
    for (const c of fixture.cases) {
      runs.push([c.name, c, BUILDERS]);
      if (MODULE_BUILDERS[c.op]) runs.push([`${c.name} [src/models/losses]`, c, MODULE_BUILDERS]);
    }
    for (const [title, c, builders] of runs) {
      it(title, () => {
        const { leaves, out } = build(c, builders);
        expect([...out.shape], `${c.name}: output shape`).toEqual(c.value.shape);
        expect(out.dtype).toBe('float64');
        expectClose(`${c.name} value`, out.data, decode(c.value));
        let grads: (Tensor | null)[];
        if (c.gradOutput === null) {
          backward(out);
          grads = leaves.map(([, t]) => t.grad);
        } else {
          const go = tensor(decode(c.gradOutput), { shape: c.gradOutput.shape, dtype: 'float64' });
          grads = grad(
            out,
            leaves.map(([, t]) => t),
            { gradOutput: go },
          );
        }
        leaves.forEach(([name, t], i) => {
          const g = grads[i];
          const want = decode(c.grads[name]);
          const got = g === null || g === undefined ? new Float64Array(t.size) : g.data;
          if (g) expect([...g.shape], `${c.name}: grad ${name} shape`).toEqual(c.grads[name].shape);
          expectClose(`${c.name} d/d${name}`, got, want);
        });
      });
    }

    // H·v = ∇ Σᵢ ⟨gᵢ, vᵢ⟩ with g = ∇ Σ value ⊙ gradOutput taken with createGraph (torch: vhp by double backward)
    const byName = new Map(fixture.cases.map((c) => [c.name, c]));
    const hvpRuns: [string, Case, HvpCase, Record<string, Builder>][] = [];
    for (const h of hvpFixture.cases) {
      const c = byName.get(h.name)!;
      hvpRuns.push([`H·v ${h.name}`, c, h, c.op === 'bceLogits' ? HVP_BUILDERS : BUILDERS]);
      if (MODULE_BUILDERS[c.op]) hvpRuns.push([`H·v ${h.name} [src/models/losses]`, c, h, MODULE_BUILDERS]);
    }
    for (const [title, c, h, builders] of hvpRuns) {
      it(title, () => {
        const { leaves, out } = build(c, builders);
        const ts = leaves.map(([, t]) => t);
        const F =
          c.gradOutput === null
            ? out
            : sum(mul(out, tensor(decode(c.gradOutput), { shape: c.gradOutput.shape, dtype: 'float64' })));
        const g = grad(F, ts, { createGraph: true });
        let s: Tensor | null = null;
        leaves.forEach(([name, t], i) => {
          if (!g[i].requiresGrad) return;
          const v = tensor(decode(h.v[name]), { shape: [...t.shape], dtype: 'float64' });
          const term = sum(mul(g[i], v));
          s = s === null ? term : add(s, term);
        });
        const hv = s === null ? ts.map((t) => new Float64Array(t.size)) : grad(s, ts).map((x) => x.data);
        leaves.forEach(([name], i) => expectClose(`${c.name} (H·v)/${name}`, hv[i], decode(h.hv[name])));
      });
    }

    // float32: what the trainer runs with training.dtype = "float32". Torch float32 vs ours (JS computes each
    // elementwise op in double and rounds once, so ours is usually the more accurate): |Δ| ≤ 2e-5·max + 1e-6.
    for (const f of f32Fixture.cases) {
      const c = byName.get(f.name)!;
      const runs32: [string, Record<string, Builder>][] = [[`float32 ${f.name}`, BUILDERS]];
      if (MODULE_BUILDERS[c.op]) runs32.push([`float32 ${f.name} [src/models/losses]`, MODULE_BUILDERS]);
      for (const [title, builders] of runs32) {
        it(title, () => {
          const { leaves, out } = build(c, builders, 'float32');
          expect(out.dtype).toBe('float32');
          expect(out.data).toBeInstanceOf(Float32Array);
          const close = (what: string, got: ArrayLike<number>, want: Float64Array): void => {
            const m = firstMismatch(got, want, 2e-5, 1e-6);
            expect(m, `${what}: element ${m?.index}: ours ${m?.got} vs torch ${m?.want}`).toBeNull();
          };
          close(`${f.name} float32 value`, out.data, decode(f.value));
          const ts = leaves.map(([, t]) => t);
          const grads =
            c.gradOutput === null
              ? grad(out, ts)
              : grad(out, ts, { gradOutput: tensor(decode(c.gradOutput), { shape: c.gradOutput.shape }) });
          leaves.forEach(([name], i) => {
            expect(grads[i].dtype).toBe('float32');
            close(`${f.name} float32 d/d${name}`, grads[i].data, decode(f.grads[name]));
          });
        });
      }
    }
  },
);
