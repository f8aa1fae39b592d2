/**
 * The contract between a `sequential` model and its layers.
 *
 * A layer is built once for the shape of one sample that reaches it (no batch dim) and then states
 * what it needs: its parameters (trained, in torch state_dict order, names relative to the layer:
 * `weight`, `weight_ih_l0`, `self_attn.in_proj_weight`, …), its buffers (state that travels with the
 * weights but is not trained: batchnorm's `running_mean`, `running_var`, `num_batches_tracked`), the
 * shape it gives the next layer, and a forward function over a batch.
 *
 * Forward functions are written with Tensor ops, so autodiff differentiates them to any order
 * (gradients, Hessian-vector products); a layer never writes its own backward pass unless it adds a
 * Tensor op (in src/tensor/ops) whose derivative rule is itself written with ops.
 */
import type { Rng } from '../../rng/rng.js';
import type { DType, FloatArray, Tensor } from '../../tensor/index.js';

/** One sample's shape, without the batch dimension: [F] | [C, L] | [C, H, W] | [T, F] | [T]. */
export type Shape = readonly number[];

/** A trained tensor a layer declares. */
export interface ParamDecl {
  /** Name relative to the layer, as in the torch module's state_dict (`weight`, `bias_hh_l0_reverse`). */
  name: string;
  shape: number[];
  /**
   * True for the tensors L1/L2 regularization penalizes and `init.scheme` re-initializes: the
   * weight matrices and kernels. False for biases, norm scales/shifts, embeddings' positions.
   */
  isWeight: boolean;
  /** Fan-in and fan-out of the weight, for `init.scheme` (xavier/kaiming) overrides. */
  fan?: { in: number; out: number };
  /** PyTorch's default initialization of this tensor (its distribution, from our generator), in place. */
  init(out: FloatArray, rng: Rng): void;
}

/** State that is saved with the weights and checkpoints but not trained (torch's buffers). */
export interface BufferDecl {
  name: string;
  shape: number[];
  /** The initial value of every element (running_mean 0, running_var 1, num_batches_tracked 0). */
  fill: number;
  /** Integer buffers (num_batches_tracked) are int64 in torch's state_dict. */
  integer?: boolean;
}

/** The layer's tensors as the forward pass sees them, by relative name. */
export interface LayerState {
  params: Record<string, Tensor>;
  /** Buffers are updated in place by the forward pass in training mode (batchnorm's running stats). */
  buffers: Record<string, FloatArray>;
}

export interface ForwardContext {
  /** Training mode: dropout active, batchnorm uses and updates batch statistics. */
  training: boolean;
  /** The dropout generator (advanced only in training mode). */
  rng: Rng;
  dtype: DType;
}

/** A layer built for its input shape. */
export interface BuiltLayer {
  /** One sample's shape after this layer. */
  readonly outputShape: number[];
  readonly params: ParamDecl[];
  readonly buffers: BufferDecl[];
  /** x is [N, ...inputShape]; the result is [N, ...outputShape]. */
  forward(x: Tensor, state: LayerState, ctx: ForwardContext): Tensor;
}

/**
 * A layer that cannot take the shape it is given, or whose hyper-parameters do not fit it. The
 * message names both shapes and says what would fit (e.g. `linear expects 392 inputs, the previous
 * layer gives 288`); the sequential builder prefixes the layer's path (`/model/layers/4`).
 */
export class LayerShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayerShapeError';
  }
}

/**
 * The layer specs, every default applied (the zod schema in src/contracts fills them). Field names
 * and defaults are those of the PyTorch modules, camelCased. A pair field (`[h, w]`) also takes one
 * number for both.
 */
export type Pair = number | [number, number];

export type LayerSpec =
  | { type: 'linear'; out: number; bias: boolean }
  | { type: 'flatten' }
  | { type: 'dropout'; p: number }
  | { type: 'relu' | 'tanh' | 'sigmoid' | 'silu' }
  | { type: 'leaky_relu'; slope: number }
  | { type: 'elu'; alpha: number }
  | { type: 'gelu'; approximate: 'none' | 'tanh' }
  | { type: 'softplus'; beta: number; threshold: number }
  | {
      type: 'conv1d';
      out: number;
      kernel: number;
      stride: number;
      padding: number | 'same' | 'valid';
      dilation: number;
      groups: number;
      bias: boolean;
    }
  | {
      type: 'conv2d';
      out: number;
      kernel: Pair;
      stride: Pair;
      padding: Pair | 'same' | 'valid';
      dilation: Pair;
      groups: number;
      bias: boolean;
    }
  /** stride defaults to kernel (torch's stride=None). */
  | { type: 'maxpool1d'; kernel: number; stride?: number; padding: number; dilation: number }
  | { type: 'maxpool2d'; kernel: Pair; stride?: Pair; padding: Pair; dilation: Pair }
  | { type: 'avgpool1d'; kernel: number; stride?: number; padding: number; countIncludePad: boolean }
  | { type: 'avgpool2d'; kernel: Pair; stride?: Pair; padding: Pair; countIncludePad: boolean }
  | { type: 'adaptive_avgpool2d'; output: Pair }
  /** momentum null: cumulative moving average (torch's momentum=None). */
  | { type: 'batchnorm1d' | 'batchnorm2d'; momentum: number | null; eps: number; affine: boolean }
  /** Over the last dimension (normalized_shape = input's last dim). */
  | { type: 'layernorm'; eps: number; affine: boolean }
  | { type: 'embedding'; num: number; dim: number; paddingIdx?: number }
  /**
   * Batch-first; input [T, F]. `output: "last"` is `output[:, -1, :]` of the sequence output
   * (both directions' features at the last time index), `"sequence"` all of it: [T, H·dirs].
   */
  | {
      type: 'rnn' | 'lstm' | 'gru';
      hidden: number;
      layers: number;
      bidirectional: boolean;
      dropout: number;
      output: 'last' | 'sequence';
      bias: boolean;
      /** rnn only. */
      nonlinearity?: 'tanh' | 'relu';
    }
  /** Self-attention over [T, E]: torch.nn.MultiheadAttention(E, heads, batch_first=True), q = k = v = x. */
  | { type: 'attention'; heads: number; causal: boolean; dropout: number; bias: boolean }
  /** torch.nn.TransformerEncoderLayer(dModel, heads, ff, dropout, activation, batch_first=True, norm_first). */
  | {
      type: 'transformer_encoder';
      dModel: number;
      heads: number;
      ff: number;
      dropout: number;
      activation: 'relu' | 'gelu';
      normFirst: boolean;
      eps: number;
      causal: boolean;
    }
  /** Learned positional embedding: x + weight[:T], weight [maxLen, F]. */
  | { type: 'positional'; maxLen: number }
  /** Mean over time: [T, F] → [F]. */
  | { type: 'mean_pool' };

/** Builds a layer of one type for the shape that reaches it. Throws LayerShapeError. */
export type LayerBuilder<S extends LayerSpec = LayerSpec> = (spec: S, input: Shape) => BuiltLayer;

/** Each member of the spec union S whose `type` admits T, narrowed to `type: T` (distributes over S). */
type Narrow<S, T> = S extends { type: infer U }
  ? T extends U
    ? Omit<S, 'type'> & { type: T }
    : never
  : never;

/**
 * The spec of one layer type, e.g. `SpecOf<'conv2d'>`. Not `Extract<LayerSpec, { type: T }>`: members
 * that share a shape (`{ type: 'relu' | 'tanh' | … }`, `'rnn' | 'lstm' | 'gru'`) are not assignable to
 * `{ type: 'lstm' }`, so Extract would give `never` for them.
 */
export type SpecOf<T extends LayerSpec['type']> = Narrow<LayerSpec, T>;

/**
 * The builders of a family of layer types, one per type: each family file (conv.ts, recurrent.ts, …)
 * exports one, and the registry spreads them together.
 */
export type LayerFamily<T extends LayerSpec['type']> = { [K in T]: LayerBuilder<SpecOf<K>> };
