/**
 * Parameter initializers. `default` is PyTorch's nn.Linear.reset_parameters: the weight from
 * kaiming_uniform(a=√5), which is U(−1/√fan_in, 1/√fan_in), and the bias from the same interval.
 * Draws come from our seeded generator, so values are PyTorch's distribution, not its bit stream.
 */
import type { Rng } from '../rng/rng.js';

export type InitScheme =
  'default' | 'zeros' | 'xavier_uniform' | 'xavier_normal' | 'kaiming_uniform' | 'kaiming_normal';

/**
 * Fill a dense layer's weight [out, in] and bias [out] in place.
 * - default: W, b ~ U(±1/√in)
 * - xavier_uniform: W ~ U(±√(6/(in+out))), b = 0;  xavier_normal: W ~ N(0, 2/(in+out)), b = 0
 * - kaiming_uniform (ReLU gain √2): W ~ U(±√(6/in)), b = 0;  kaiming_normal: W ~ N(0, 2/in), b = 0
 * - zeros: W = 0, b = 0
 */
export function initDense(
  weight: Float32Array | Float64Array,
  bias: Float32Array | Float64Array,
  fanIn: number,
  fanOut: number,
  scheme: InitScheme,
  rng: Rng,
): void {
  const uniform = (arr: Float32Array | Float64Array, bound: number) => {
    for (let i = 0; i < arr.length; i++) arr[i] = rng.uniform(-bound, bound);
  };
  const normal = (arr: Float32Array | Float64Array, std: number) => {
    for (let i = 0; i < arr.length; i++) arr[i] = rng.normal() * std;
  };
  switch (scheme) {
    case 'default': {
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform(weight, bound);
      uniform(bias, bound);
      return;
    }
    case 'zeros':
      weight.fill(0);
      bias.fill(0);
      return;
    case 'xavier_uniform':
      uniform(weight, Math.sqrt(6 / (fanIn + fanOut)));
      bias.fill(0);
      return;
    case 'xavier_normal':
      normal(weight, Math.sqrt(2 / (fanIn + fanOut)));
      bias.fill(0);
      return;
    case 'kaiming_uniform':
      uniform(weight, Math.sqrt(6 / fanIn));
      bias.fill(0);
      return;
    case 'kaiming_normal':
      normal(weight, Math.sqrt(2 / fanIn));
      bias.fill(0);
      return;
  }
}
