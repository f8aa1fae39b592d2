/**
 * The measured training speed of a build on a machine, and the time a job needs at it. Model of one
 * optimizer step of a dense net: `seconds ≈ overhead + flops / flopsPerSecond`, with
 * `flops = 6 · batch · parameters` (forward 2, backward 4 operations per weight and row). The
 * measurement itself is `measureStepSpeed` in src/train/speed.ts.
 */

/** Measured training speed of this process. */
export interface StepSpeed {
  /** Seconds per optimizer step that do not depend on the model's size (graph, optimizer, events). */
  overheadSeconds: number;
  /** Floating-point operations per second in the large-batch regime. */
  flopsPerSecond: number;
  /** The kernel backend measured. */
  kernels: string;
}

/** Seconds a job of `totalSteps` steps of `flopsPerStep` operations takes at `speed`. */
export function estimateSeconds(totalSteps: number, flopsPerStep: number, speed: StepSpeed): number {
  return totalSteps * (speed.overheadSeconds + flopsPerStep / speed.flopsPerSecond);
}

/** "42 s", "3.5 min", "7.2 h", "3.1 days". */
export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 48 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}
