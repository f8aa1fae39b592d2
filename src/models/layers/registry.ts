/**
 * The layer registry: one builder per layer type, gathered from the layer families. Adding a
 * family is one line in {@link REGISTRY} (`...convLayers,`); a type whose family is not in it yet
 * is refused with a clear error rather than a crash.
 */
import { attentionLayers } from './attention.js';
import { basicLayers } from './basic.js';
import { embeddingLayers } from './embedding.js';
import { normLayers } from './norm.js';
import { recurrentLayers } from './recurrent.js';
import {
  LayerShapeError,
  type BuiltLayer,
  type LayerBuilder,
  type LayerFamily,
  type LayerSpec,
  type Shape,
} from './types.js';

/** Every layer type this build can construct. */
const REGISTRY: Partial<LayerFamily<LayerSpec['type']>> = {
  ...basicLayers,
  ...normLayers,
  ...embeddingLayers,
  ...attentionLayers,
  ...recurrentLayers,
};

/**
 * Build one layer for the shape that reaches it. Throws LayerShapeError when the shape does not
 * fit, or when the type has no builder in this build.
 */
export function buildLayer(spec: LayerSpec, input: Shape): BuiltLayer {
  const builder = REGISTRY[spec.type] as LayerBuilder | undefined;
  if (!builder) {
    throw new LayerShapeError(
      `layer type "${spec.type}" is not available in this build (available: ${Object.keys(REGISTRY).join(', ')})`,
    );
  }
  return builder(spec, input);
}
