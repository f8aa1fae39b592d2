/**
 * Losses, mean-reduced over all elements as PyTorch's default `reduction='mean'`, written with
 * engine ops so their gradients (and second derivatives) come from autodiff.
 */
import {
  abs,
  add,
  clamp,
  exp,
  gather,
  log,
  logSoftmax,
  mean,
  mul,
  neg,
  sub,
  sum,
  Tensor,
  where,
} from '../tensor/index.js';
import type { NamedParam } from './dense.js';

export type LossName = 'mse' | 'mae' | 'huber' | 'bce' | 'cross_entropy';

/** Targets as the losses take them: a float tensor [N, T] (regression, bce) or class indices. */
export type Targets = { kind: 'values'; y: Tensor } | { kind: 'classes'; y: Int32Array };

/** mean((p − y)²): torch.nn.functional.mse_loss */
export function mseLoss(pred: Tensor, y: Tensor): Tensor {
  const d = sub(pred, y);
  return mean(mul(d, d));
}

/** mean(|p − y|): torch.nn.functional.l1_loss */
export function maeLoss(pred: Tensor, y: Tensor): Tensor {
  return mean(abs(sub(pred, y)));
}

/**
 * torch.nn.functional.huber_loss: ½d² where |d| < δ, δ(|d| − ½δ) elsewhere, d = p − y.
 */
export function huberLoss(pred: Tensor, y: Tensor, delta = 1): Tensor {
  const d = sub(pred, y);
  const a = abs(d);
  const inside = a.data.map((v) => (v < delta ? 1 : 0));
  const cond = new Tensor(inside, a.shape);
  return mean(where(cond, mul(mul(d, d), 0.5), mul(sub(a, 0.5 * delta), delta)));
}

/**
 * Binary cross-entropy on logits, torch's numerically stable form
 * (1 − y)·x + m + log(e^(−m) + e^(−x−m)) with m = max(−x, 0); its gradient is σ(x) − y.
 */
export function bceWithLogitsLoss(logits: Tensor, y: Tensor): Tensor {
  const m = clamp(neg(logits), 0, null);
  return mean(add(add(mul(sub(1, y), logits), m), log(add(exp(neg(m)), exp(sub(neg(logits), m))))));
}

/** Cross-entropy on logits [N, C] with class indices [N]: mean(−log softmax(x)[i, yᵢ]). */
export function crossEntropyLoss(logits: Tensor, classes: Int32Array): Tensor {
  return neg(mean(gather(logSoftmax(logits, -1), classes, -1)));
}

/** The loss named in a JobSpec. */
export function computeLoss(name: LossName, out: Tensor, targets: Targets, huberDelta = 1): Tensor {
  if (name === 'cross_entropy') {
    if (targets.kind !== 'classes') throw new Error('cross_entropy needs class targets');
    return crossEntropyLoss(out, targets.y);
  }
  if (targets.kind !== 'values') throw new Error(`${name} needs value targets`);
  switch (name) {
    case 'mse':
      return mseLoss(out, targets.y);
    case 'mae':
      return maeLoss(out, targets.y);
    case 'huber':
      return huberLoss(out, targets.y, huberDelta);
    case 'bce':
      return bceWithLogitsLoss(out, targets.y);
  }
}

/**
 * The regularization penalty l1·Σ|w| + l2·Σw² over weights only (biases are not penalized),
 * added to the loss; null when both are 0.
 */
export function penalty(params: readonly NamedParam[], l1: number, l2: number): Tensor | null {
  let total: Tensor | null = null;
  for (const p of params) {
    if (!p.isWeight) continue;
    if (l1 > 0) total = total ? add(total, mul(sum(abs(p.tensor)), l1)) : mul(sum(abs(p.tensor)), l1);
    if (l2 > 0)
      total = total
        ? add(total, mul(sum(mul(p.tensor, p.tensor)), l2))
        : mul(sum(mul(p.tensor, p.tensor)), l2);
  }
  return total;
}
