/** Exact JSON encoding of a ResumeState for checkpoints (typed arrays as base64 bytes). */
import { decodeOptimState, encodeOptimState, type JsonSafe } from '../optim/index.js';
import type { ResumeState } from './types.js';

/** A JSON-safe copy of `state`; `decodeResumeState` restores it bit for bit. */
export function encodeResumeState(state: ResumeState): JsonSafe {
  return encodeOptimState(state);
}

export function decodeResumeState(obj: JsonSafe): ResumeState {
  const s = decodeOptimState<ResumeState>(obj);
  if (!s || s.version !== 1) throw new Error('unsupported checkpoint version');
  return s;
}
