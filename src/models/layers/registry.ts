/**
 * The layer registry: one builder per layer type, gathered from the layer families. The map is
 * typed total, so a layer type added to LayerSpec without a builder fails to compile.
 */
import { attentionLayers } from './attention.js';
import { basicLayers } from './basic.js';
import { convLayers } from './conv.js';
import { poolLayers } from './pool.js';
import { embeddingLayers } from './embedding.js';
import { normLayers } from './norm.js';
import { recurrentLayers } from './recurrent.js';
import type { BuiltLayer, LayerBuilder, LayerFamily, LayerSpec, Shape } from './types.js';

/** Every layer type this build can construct. */
const REGISTRY: LayerFamily<LayerSpec['type']> = {
  ...basicLayers,
  ...convLayers,
  ...poolLayers,
  ...normLayers,
  ...embeddingLayers,
  ...attentionLayers,
  ...recurrentLayers,
};

/** Build one layer for the shape that reaches it. Throws LayerShapeError when the shape does not fit. */
export function buildLayer(spec: LayerSpec, input: Shape): BuiltLayer {
  // The map is keyed by type, so the builder takes this spec; TypeScript cannot correlate the two.
  return (REGISTRY[spec.type] as LayerBuilder)(spec, input);
}
