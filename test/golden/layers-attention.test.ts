/**
 * The basic (linear, flatten, activations), normalisation, embedding and attention layer families
 * against PyTorch 1.13 (float64).
 *
 * Fixture: test/golden/fixtures/attention.json, written by scripts/fixtures/attention_fixtures.py
 * (`/usr/bin/python3 scripts/fixtures/attention_fixtures.py`). Each case builds one layer through its
 * family from a spec with every default applied, checks that its parameters then buffers are torch's
 * state_dict (names, order, shapes), then runs the fixture's steps in order on one state: output, the
 * gradients of Σ out ⊙ w w.r.t. x and every parameter, and the buffers after the step (batchnorm's
 * running statistics and num_batches_tracked). Cases with `hvp` also check torch's Hessian-vector
 * product by double backward along the fixture's direction.
 *
 * Tolerance: |ours − torch| ≤ 1e-12·max(|ours|, |torch|) + 1e-14 per element, under every kernel backend.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grad, mul, setKernels, sum, tensor, Tensor, type Kernels } from '../../src/tensor/index.js';
import { createRng } from '../../src/rng/rng.js';
import { attentionLayers } from '../../src/models/layers/attention.js';
import { basicLayers } from '../../src/models/layers/basic.js';
import { embeddingLayers } from '../../src/models/layers/embedding.js';
import { normLayers } from '../../src/models/layers/norm.js';
import type { BuiltLayer, LayerSpec, LayerState } from '../../src/models/layers/types.js';
import { firstMismatch, kernelBackends } from '../helpers/gradcheck.js';

interface Enc {
  shape: number[];
  data: number[];
}
interface Step {
  training: boolean;
  x: Enc;
  out: Enc;
  w: Enc;
  grads: Record<string, Enc>;
  buffers: Record<string, Enc>;
}
interface Case {
  name: string;
  spec: LayerSpec;
  input: number[];
  params: Record<string, Enc>;
  buffers: Record<string, Enc>;
  stateDict: [string, number[]][];
  steps: Step[];
  hvp?: { v: Record<string, Enc>; hv: Record<string, Enc> };
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/attention.json', import.meta.url), 'utf8')) as {
  torch: string;
  cases: Case[];
};

const families = { ...basicLayers, ...normLayers, ...embeddingLayers, ...attentionLayers };

/** Build through the family of the spec's type (the registry's job, done here by hand). */
function build(spec: LayerSpec, input: number[]): BuiltLayer {
  const builder = (families as unknown as Record<string, (s: LayerSpec, i: number[]) => BuiltLayer>)[
    spec.type
  ];
  return builder(spec, input);
}

const t64 = (e: Enc, requiresGrad = false): Tensor =>
  tensor(Float64Array.from(e.data), { shape: e.shape, dtype: 'float64', requiresGrad });

function expectClose(got: Tensor | Float64Array, want: Enc, what: string): void {
  if (got instanceof Tensor) expect([...got.shape], `${what} shape`).toEqual(want.shape);
  const data = got instanceof Tensor ? got.data : got;
  const m = firstMismatch(data, want.data);
  expect(m, `${what}: element ${m?.index} is ${m?.got}, torch ${m?.want}`).toBeNull();
}

function stateOf(c: Case): LayerState {
  const params: Record<string, Tensor> = {};
  for (const [k, e] of Object.entries(c.params)) params[k] = t64(e, true);
  const buffers: Record<string, Float64Array> = {};
  for (const [k, e] of Object.entries(c.buffers)) buffers[k] = Float64Array.from(e.data);
  return { params, buffers };
}

const ctxOf = (training: boolean) => ({ training, rng: createRng(1), dtype: 'float64' as const });

describe.each(kernelBackends())(
  `layers vs torch ${fixture.torch} (float64, ≤1e-12 relative), %s kernels`,
  (_name: string, k: Kernels) => {
    let prev: Kernels;
    beforeAll(() => {
      prev = setKernels(k);
    });
    afterAll(() => {
      setKernels(prev);
    });

    it(`has fixtures from torch ${fixture.torch}`, () => {
      expect(fixture.torch.startsWith('1.13')).toBe(true);
      expect(fixture.cases.length).toBeGreaterThan(15);
    });

    for (const c of fixture.cases) {
      it(c.name, () => {
        const layer = build(c.spec, c.input);
        const declared = [
          ...layer.params.map((p) => [p.name, p.shape]),
          ...layer.buffers.map((b) => [b.name, b.shape]),
        ];
        expect(declared).toEqual(c.stateDict);
        expect(layer.outputShape).toEqual(c.steps[0].out.shape.slice(1));
        const state = stateOf(c);
        const names = Object.keys(state.params);
        for (const [i, s] of c.steps.entries()) {
          const withX = 'x' in s.grads;
          const x = t64(s.x, withX);
          const out = layer.forward(x, state, ctxOf(s.training));
          expectClose(out, s.out, `step ${i} output`);
          const wrt = [...(withX ? [x] : []), ...names.map((n) => state.params[n])];
          const gs = grad(sum(mul(out, t64(s.w))), wrt);
          const gNames = [...(withX ? ['x'] : []), ...names];
          expect(gNames.sort()).toEqual(Object.keys(s.grads).sort());
          [...(withX ? ['x'] : []), ...names].forEach((n, j) =>
            expectClose(gs[j], s.grads[n], `step ${i} ∂/∂${n}`),
          );
          for (const [b, want] of Object.entries(s.buffers)) {
            expectClose(state.buffers[b] as Float64Array, want, `step ${i} buffer ${b}`);
          }
        }
        if (c.hvp) {
          const s = c.steps[0];
          const fresh = stateOf(c);
          const x = t64(s.x, true);
          const wrt = [x, ...names.map((n) => fresh.params[n])];
          const order = ['x', ...names];
          const out = layer.forward(x, fresh, ctxOf(s.training));
          const g = grad(sum(mul(out, t64(s.w))), wrt, { createGraph: true });
          let dot = sum(mul(g[0], t64(c.hvp.v.x)));
          for (let j = 1; j < order.length; j++) dot = dot.add(sum(mul(g[j], t64(c.hvp.v[order[j]]))));
          const hv = grad(dot, wrt);
          order.forEach((n, j) => expectClose(hv[j], c.hvp!.hv[n], `H·v ∂/∂${n}`));
        }
      });
    }
  },
);
