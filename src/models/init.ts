/**
 * Parameter initializers. `default` is PyTorch's nn.Linear.reset_parameters: the weight from
 * kaiming_uniform(a=√5), which is U(−1/√fan_in, 1/√fan_in), and the bias from the same interval.
 * Draws come from our seeded generator, so values are PyTorch's distribution, not its bit stream.
 */
import type { Rng } from '../rng/rng.js';

export type InitScheme =
  'default' | 'zeros' | 'xavier_uniform' | 'xavier_normal' | 'kaiming_uniform' | 'kaiming_normal';

type Arr = Float32Array | Float64Array;

const uniform = (arr: Arr, bound: number, rng: Rng) => {
  for (let i = 0; i < arr.length; i++) arr[i] = rng.uniform(-bound, bound);
};
const normal = (arr: Arr, std: number, rng: Rng) => {
  for (let i = 0; i < arr.length; i++) arr[i] = rng.normal() * std;
};

/**
 * Fill a weight (a matrix or kernel with the given fans) by a scheme other than `default`, in
 * place: the rule {@link initDense} applies to a dense weight, for any layer's weight.
 */
export function initWeight(
  weight: Arr,
  fanIn: number,
  fanOut: number,
  scheme: Exclude<InitScheme, 'default'>,
  rng: Rng,
): void {
  switch (scheme) {
    case 'zeros':
      weight.fill(0);
      return;
    case 'xavier_uniform':
      uniform(weight, Math.sqrt(6 / (fanIn + fanOut)), rng);
      return;
    case 'xavier_normal':
      normal(weight, Math.sqrt(2 / (fanIn + fanOut)), rng);
      return;
    case 'kaiming_uniform':
      uniform(weight, Math.sqrt(6 / fanIn), rng);
      return;
    case 'kaiming_normal':
      normal(weight, Math.sqrt(2 / fanIn), rng);
      return;
  }
}

/**
 * Fill a dense layer's weight [out, in] and bias [out] in place.
 * - default: W, b ~ U(±1/√in)
 * - xavier_uniform: W ~ U(±√(6/(in+out))), b = 0;  xavier_normal: W ~ N(0, 2/(in+out)), b = 0
 * - kaiming_uniform (ReLU gain √2): W ~ U(±√(6/in)), b = 0;  kaiming_normal: W ~ N(0, 2/in), b = 0
 * - zeros: W = 0, b = 0
 */
export function initDense(
  weight: Arr,
  bias: Arr,
  fanIn: number,
  fanOut: number,
  scheme: InitScheme,
  rng: Rng,
): void {
  if (scheme === 'default') {
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform(weight, bound, rng);
    uniform(bias, bound, rng);
    return;
  }
  initWeight(weight, fanIn, fanOut, scheme, rng);
  bias.fill(0);
}
